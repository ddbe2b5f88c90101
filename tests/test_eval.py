"""`akhbar eval`: the EASC and ANT-BBC protocols, their ROUGE, and agreement with the reference scorer."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import evaluation as ev
from bot.commands import eval_cmd

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
REFEREE = SHARED / "tools" / "rouge_ar.py"
EASC = SHARED / "data" / "easc" / "easc.jsonl"
ANT = SHARED / "data" / "ant" / "ant-2018-02-to-07.jsonl.xz"

BODY = [
    "أعلنت الحكومة الأردنية خطة جديدة لخفض البطالة بين الشباب في المحافظات.",
    "وتشمل الخطة تمويل مشاريع صغيرة وتدريب عشرة آلاف شاب خلال عامين.",
    "وقال وزير العمل إن الخطة تستهدف المناطق الأكثر فقرا في الجنوب.",
    "ورحبت غرف الصناعة بالخطة ودعت إلى إشراك القطاع الخاص في تنفيذها.",
    "وتبلغ نسبة البطالة في الأردن نحو 19 في المئة بحسب الأرقام الرسمية.",
    "ويعاني الشباب من أعلى معدلات البطالة بين الفئات العمرية المختلفة.",
]


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def ant_record(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": "1",
        "source": "BBC",
        "category": "news",
        "url": "https://example.invalid/1",
        "title": "خطة أردنية لخفض البطالة بين الشباب",
        "time": "Mon, 05 Mar 2018 10:00:00 GMT",
        "abstract": "الأردن يعلن خطة لتمويل مشاريع صغيرة وتدريب الشباب في المحافظات الفقيرة.",
        "text": "\n".join(BODY),
    }
    record.update(overrides)
    return record


def test_tokens_follow_the_protocol() -> None:
    # diacritics, tatweel, alef forms, ى, ة and Arabic-Indic digits fold; ؤ and ئ do not (as the referee).
    assert ev.norm_tokens("أَعلنَ الـــوزير إلى المدرسة ٢٠١٨ مسؤول") == [
        "اعلن",
        "الوزير",
        "الي",
        "المدرسه",
        "2018",
        "مسؤول",
    ]


def test_rouge_values() -> None:
    a = ["الف", "باء", "جيم", "دال"]
    assert ev.ngram_f1(a, a, 1) == 1.0
    assert ev.ngram_f1(a, ["الف", "باء"], 1) == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert ev.ngram_f1(a, ["باء", "الف"], 2) == 0.0
    assert ev.lcs_f1(a, ["الف", "جيم", "هاء"]) == pytest.approx(2 * (2 / 4) * (2 / 3) / (2 / 4 + 2 / 3))
    assert ev.ngram_f1([], a, 1) == 0.0


def test_budget_pick_skips_what_overflows_and_keeps_at_least_one() -> None:
    sentences = ["واحد اثنان ثلاثة", "واحد اثنان ثلاثة اربعة خمسة ستة", "واحد", "واحد اثنان"]
    assert ev.budget_pick(sentences, [0, 1, 2, 3], 5) == ["واحد اثنان ثلاثة", "واحد"]
    assert ev.budget_pick(sentences, [1, 0], 2) == ["واحد اثنان ثلاثة اربعة خمسة ستة"]
    assert ev.budget_pick(sentences, [3, 0], 5) == ["واحد اثنان ثلاثة", "واحد اثنان"]  # document order


def test_easc_budget_is_the_rounded_mean_of_the_references(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "easc.jsonl",
        [{"id": "1", "article": "\n".join(BODY), "summaries": [BODY[0], BODY[0] + " " + BODY[1], BODY[1]]}],
    )
    [doc] = ev.load_easc(path)
    assert doc.title is None and len(doc.references) == 3
    lengths = [ev.words(r) for r in doc.references]
    assert ev.budget(doc) == round(sum(lengths) / 3)
    # 15 words: the first sentence (11) fits, every other (11+) would overflow and is skipped
    assert ev.lead_system(doc.text, None, ev.budget(doc)) == BODY[:1]


def test_ant_protocol_selects_bbc_standfirsts_of_long_enough_stories(tmp_path: Path) -> None:
    records = [
        ant_record(id="ok"),
        ant_record(id="cnn", source="CNN"),
        ant_record(id="copy", abstract=BODY[0]),  # the description copies the lead
        ant_record(id="short", text="\n".join(BODY[:4])),  # fewer than 5 sentences
        ant_record(id="empty", abstract=""),
    ]
    path = write_jsonl(tmp_path / "ant.jsonl", records)
    docs = ev.load_ant(path)
    assert len(docs) == 1
    assert docs[0].title == "خطة أردنية لخفض البطالة بين الشباب"
    assert docs[0].references == (records[0]["abstract"],)


def test_perfect_summary_scores_100() -> None:
    doc = ev.Doc("\n".join(BODY), None, (BODY[0],))
    assert ev.score_doc([BODY[0]], doc) == (1.0, 1.0, 1.0)
    result = ev.evaluate("lead", ev.lead_system, [doc])
    assert (result.r1, result.r2, result.rl, result.docs) == (100.0, 100.0, 100.0, 1)


def test_eval_command_prints_ours_lead_and_lexrank(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "ant.jsonl", [ant_record(id=str(i)) for i in range(3)])
    parser = argparse.ArgumentParser()
    eval_cmd.add_arguments(parser)
    assert eval_cmd.run(parser.parse_args(["ant", str(path), "--no-progress"])) == 0
    out = capsys.readouterr().out
    assert "ANT — 3 documents" in out
    for label in ("ours (summarizer)", "lead", "sumy LexRank (default Arabic)"):
        assert label in out
    assert (
        eval_cmd.run(parser.parse_args(["ant", str(path), "--json", "--no-progress", "--system", "lead"]))
        == 0
    )
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) == {"lead"} and figures["lead"]["docs"] == 3


def test_eval_command_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    eval_cmd.add_arguments(parser)
    assert eval_cmd.run(parser.parse_args(["easc", str(tmp_path / "nope.jsonl")])) == 2
    assert "no such file" in capsys.readouterr().err
    path = write_jsonl(tmp_path / "ant.jsonl", [ant_record(source="CNN")])
    assert eval_cmd.run(parser.parse_args(["ant", str(path)])) == 2
    assert "no documents" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    assert eval_cmd.run(parser.parse_args(["easc", str(bad)])) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.skipif(
    not (REFEREE.is_file() and EASC.is_file()), reason="needs /work/shared (data and rouge_ar.py)"
)
@pytest.mark.parametrize(("corpus", "path", "limit"), [("easc", EASC, 12), ("ant", ANT, 60)])
def test_figures_agree_with_the_reference_scorer(corpus: str, path: Path, limit: int) -> None:
    """Our protocol code gives the referee's figures for every system, on the first N documents."""
    completed = subprocess.run(
        [
            sys.executable,
            str(REFEREE),
            corpus,
            str(path),
            "--limit",
            str(limit),
            "--json",
            "--project",
            str(REPO),
        ]
        + [arg for name in ("lead", "lexrank", "project") for arg in ("--system", name)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    referee = json.loads(completed.stdout.strip().splitlines()[-1])
    docs = ev.load(corpus, path, limit)
    for name, system in ev.systems(["lead", "lexrank", "ours"]).items():
        ours = ev.evaluate(name, system, docs)
        theirs = referee["project" if name == "ours" else name]
        assert theirs["docs"] == ours.docs
        assert (ours.r1, ours.r2, ours.rl) == pytest.approx(
            (theirs["R1"], theirs["R2"], theirs["RL"]), abs=1e-9
        )
