"""A bare Flask "hello" route: bench/token_endpoint.py's floor for the WSGI server and Flask themselves."""
from flask import Flask

app = Flask(__name__)


@app.post("/hello")
@app.get("/hello")
def hello() -> str:
    return "hello"
