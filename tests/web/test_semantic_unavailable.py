"""Without a working model, an index with vectors still searches by words, and /health says why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from search.indexer import Indexer

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: the model is loaded once per process, and this one
# must fail to load it for real (a model file that does not exist).
PROBE = """
import json, sys
from search import embed_pass
from web import create_app
embed_pass.enable(sys.argv[1])  # vectors on, none computed: the pass would need the model
client = create_app({"INDEX_DIR": sys.argv[1], "TESTING": True}).test_client()
out = {"health": client.get("/health").get_json()}
r = client.get("/search?q=hubungan+Iran")
out["default"] = [r.status_code, r.get_json()["mode"], r.get_json()["total"]]
r = client.get("/search?q=hubungan+Iran&mode=semantic")
out["semantic"] = [r.status_code, r.get_json()["error"]]
print(json.dumps(out))
"""


def test_a_model_that_cannot_load_leaves_lexical_search_working(tmp_path):
    index_dir = tmp_path / "ix"
    Indexer(index_dir).index_paths([ROOT / "seeds"])
    env = {**os.environ, "LINTAS_EMBEDDING_MODEL_FILE": str(tmp_path / "no-such-model.bin")}
    proc = subprocess.run([sys.executable, "-c", PROBE, str(index_dir)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    health = out["health"]
    assert health["ok"] is True and health["documents"] == 5
    assert health["semantic"]["available"] is False
    assert "embedding model unavailable" in health["semantic"]["reason"]
    assert out["default"] == [200, "lexical", 5]  # the four Indonesian seeds, and 003 through ایران
    assert out["semantic"][0] == 400 and "unavailable" in out["semantic"][1]
