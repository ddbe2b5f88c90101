"""`akhbar summarize FILE|URL|-`: file, stdin and URL input, plain and --json output, clear errors."""

from __future__ import annotations

import argparse
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.commands import summarize_cmd

SEED = Path(__file__).parent / "fixtures" / "summarizer" / "seed_alaraby_2024.txt"
SEED_TITLE = "بهدف تطبيع أنقرة مع النظام.. موسكو تستضيف اجتماعًا رباعيًا حول سوريا"
PAGE = (
    "<html><head><meta charset='utf-8'><title>افتتاح مستشفى جديد في العاصمة</title></head><body><article>"
    "<p>أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في العاصمة يضم ثلاثمئة سرير ومركزا لعلاج الأورام.</p>"
    "<p>وقال الوزير في مؤتمر صحفي إن المستشفى سيخدم أكثر من مليون مواطن في المناطق المحيطة بالعاصمة.</p>"
    "<p>وأضاف أن الحكومة تعتزم افتتاح مستشفيات مماثلة في ثلاث محافظات أخرى قبل نهاية العام المقبل.</p>"
    "</article></body></html>"
)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    summarize_cmd.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_file_plain_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert summarize_cmd.run(parse(str(SEED), "--sentences", "2")) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert lines[0] == SEED_TITLE
    assert len(lines) == 3
    assert lines[1].startswith("أعلنت وزارة الدفاع التركية")


def test_json_output_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert summarize_cmd.run(parse(str(SEED), "--json", "--title", "عنوان من المستخدم")) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"title", "sentences"}
    assert out["title"] == "عنوان من المستخدم"
    assert len(out["sentences"]) == 3
    assert all(isinstance(s, str) and s for s in out["sentences"])


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(SEED.read_text(encoding="utf-8")))
    assert summarize_cmd.run(parse("-", "--json", "--sentences", "1")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["title"] == SEED_TITLE
    assert len(out["sentences"]) == 1


def test_windows_1256_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "story.txt"
    path.write_bytes(
        "قالت الشرطة إن الطريق السريع أعيد فتحه بعد إزالة آثار الحادث صباح اليوم.".encode("cp1256")
    )
    assert summarize_cmd.run(parse(str(path), "--json")) == 0
    assert json.loads(capsys.readouterr().out)["sentences"][0].startswith("قالت الشرطة")


def test_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert summarize_cmd.run(parse("/nonexistent/story.txt")) == 1
    assert "cannot read /nonexistent/story.txt" in capsys.readouterr().err


def test_input_without_a_story(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><body><nav>---</nav></body></html>", encoding="utf-8")
    assert summarize_cmd.run(parse(str(path))) == 1
    assert "no Arabic story text" in capsys.readouterr().err
    assert summarize_cmd.run(parse(str(path), "--json")) == 0
    assert json.loads(capsys.readouterr().out)["sentences"] == []


class _Handler(BaseHTTPRequestHandler):
    release = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/slow":
            self.release.wait(10)  # held until the test is done: the client must time out first
        if self.path == "/missing":
            self.send_error(404)
            return
        body = PAGE.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.release.clear()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        _Handler.release.set()
        httpd.shutdown()
        httpd.server_close()


def test_url(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert summarize_cmd.run(parse(f"{server}/story", "--json", "--sentences", "1")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["title"] == "افتتاح مستشفى جديد في العاصمة"
    assert out["sentences"] == [
        "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في العاصمة يضم ثلاثمئة سرير ومركزا لعلاج الأورام."
    ]


def test_url_http_error(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert summarize_cmd.run(parse(f"{server}/missing")) == 1
    assert "HTTP 404" in capsys.readouterr().err


def test_url_timeout(server: str) -> None:
    with pytest.raises(summarize_cmd.InputError, match="timed out"):
        summarize_cmd.read_source(f"{server}/slow", timeout=0.3)


def test_unreachable_url(capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    assert summarize_cmd.run(parse("http://127.0.0.1:9/story")) == 1
    assert "cannot fetch http://127.0.0.1:9/story" in capsys.readouterr().err


def test_bad_counts_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert summarize_cmd.run(parse(str(SEED), "--sentences", "0")) == 2
    assert "--sentences" in capsys.readouterr().err


def test_through_the_akhbar_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["summarize", str(SEED), "--json", "--sentences", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["title"] == SEED_TITLE and len(out["sentences"]) == 2
