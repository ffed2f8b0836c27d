"""Documents, the Whoosh index and the query engine. Imports analyzers/, never web/."""
