"""The relevance benchmark ranks through Engine.search; scripts rank through /search.
Both must give the same ranking, or the benchmark measures something users don't get."""

from pathlib import Path

import pytest

from bench import relevance
from search.engine import Engine
from search.request import SearchRequest
from web import create_app

SLICE = Path(__file__).resolve().parents[1] / "data" / "eval"
QUESTIONS_PER_SOURCE = 4


@pytest.fixture(scope="module", params=["fa", "id"])
def eval_index(request, tmp_path_factory):
    ev = relevance.sample(relevance.load_evalset(SLICE, request.param),
                          QUESTIONS_PER_SOURCE, distractors=100)
    index_dir = tmp_path_factory.mktemp(f"eval-{request.param}")
    relevance.build_lintas_index(ev, index_dir)
    return ev, index_dir


def test_http_ranking_equals_in_process(eval_index):
    ev, index_dir = eval_index
    engine = Engine(index_dir)
    client = create_app({"INDEX_DIR": str(index_dir), "TESTING": True}).test_client()
    for qid, question in ev.queries.items():
        direct = [h.id for h in engine.search(SearchRequest(q=question, per_page=100)).hits]
        reply = client.get("/search", query_string={"q": question, "per_page": 100})
        assert reply.status_code == 200, (qid, reply.get_json())
        over_http = [r["id"] for r in reply.get_json()["results"]]
        assert over_http == direct, qid
        assert direct, f"{qid}: no result at all for {question!r}"
