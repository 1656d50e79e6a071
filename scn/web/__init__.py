"""`scn serve`: the local web page (server.py) and its one static page (static/index.html)."""
