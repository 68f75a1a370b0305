"""Make the spoken prompts of the community survey and the kiosk's feedback form with a
synthetic voice, where no recording exists yet: each question's and each choice's label
read aloud, in English, Swahili, French, Spanish and Arabic, kept as small Ogg Opus files in
`prompts/<form>/` and named in the form's JSON. espeak-ng has no Hausa voice: Hausa pages
play the form's default language until a team records its own.

A synthetic voice is a stopgap: a field team replaces a file with its own recording of the
same name (docs/field-guide.md, "Recorded prompts"). A file already there is left as it is
(a team's own recording stays), unless --replace is given; the form's JSON always gets the
hashes of the files as they are.

Needs espeak-ng (apt-get install espeak-ng) and the `prompts` extra (soundfile, numpy, and
mishkal, which writes the short vowels Arabic is usually written without, so that espeak-ng
reads words rather than strings of consonants):

    pip install -e '.[prompts]'
    python collector/builtin_forms/make_prompts.py

The hub itself needs none of these: it only serves the files.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import json
import subprocess
from pathlib import Path

FOLDER = Path(__file__).parent
FORMS = ("community_survey", "community_feedback")
# espeak-ng's voice for each language, and how fast it speaks (words a minute): slower
# than its default, for people who listen rather than read.
VOICES = {
    "en": ("en-gb", 140),
    "sw": ("sw", 135),
    "fr": ("fr-fr", 140),
    "es": ("es", 140),
    "ar": ("ar", 135),
}
# Opus at 16 kHz, mono, its lowest-bitrate mode: speech stays clear, a prompt stays small.
RATE = 16_000
# libsndfile's scale from 0 (largest) to 1 (smallest): about 16 kbit/s, clear wideband speech.
COMPRESSION = 0.96


def spoken(text: str, language: str) -> bytes:
    """The text read aloud by espeak-ng, as Ogg Opus bytes."""
    import numpy
    import soundfile

    voice, speed = VOICES[language]
    if language == "ar":
        text = vowelled(text)
    wav = subprocess.run(
        ["espeak-ng", "--stdout", "-v", voice, "-s", str(speed), text],
        check=True,
        capture_output=True,
    ).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    # Opus takes 8, 12, 16, 24 or 48 kHz; espeak-ng speaks at 22.05 kHz.
    times = numpy.arange(0, len(samples) / rate, 1 / RATE)
    resampled = numpy.interp(times, numpy.arange(len(samples)) / rate, samples)
    out = io.BytesIO()
    soundfile.write(
        out,
        resampled.astype("float32"),
        RATE,
        format="OGG",
        subtype="OPUS",
        compression_level=COMPRESSION,
    )
    return out.getvalue()


def vowelled(text: str) -> str:
    """Arabic with its short vowels written in (mishkal's rules and dictionary): not
    always right, but far closer to speech than the bare consonants."""
    return _vowel_writer().tashkeel(text).strip()


@functools.cache
def _vowel_writer():
    from mishkal.tashkeel import TashkeelClass

    return TashkeelClass()


def prompt_name(item: str, language: str) -> str:
    return f"{item}.{language}.ogg"


def texts(form: dict):
    """(item, where its prompts go, its label) for each question and each choice."""
    for section in form["sections"]:
        for question in section["questions"]:
            if question.get("label"):
                yield question["name"], question, question["label"]
    for list_name, choices in form["choices"].items():
        for choice in choices:
            yield f"{list_name}-{choice['name']}", choice, choice["label"]


def make(form_id: str, replace: bool = False) -> None:
    """One form's prompts made (those missing, or all with `replace`) and named in it."""
    path_of_form = FOLDER / f"{form_id}.json"
    form = json.loads(path_of_form.read_text("utf-8"))
    folder = FOLDER / "prompts" / form_id
    folder.mkdir(parents=True, exist_ok=True)
    files = dict(form.get("media_files", {}))
    for item, target, label in texts(form):
        for language in VOICES:
            if not label.get(language):
                continue
            name = prompt_name(item, language)
            path = folder / name
            if replace or not path.exists():
                path.write_bytes(spoken(label[language], language))
            target.setdefault("media", {}).setdefault("audio", {})[language] = name
            files[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    form["media_files"] = dict(sorted(files.items()))
    path_of_form.write_text(json.dumps(form, indent=1, ensure_ascii=False) + "\n", "utf-8")
    sizes = [(folder / name).stat().st_size for name in files]
    print(
        f"{form_id}: {len(sizes)} prompts, {sum(sizes) // 1024} KB, "
        f"the largest {max(sizes) // 1024} KB."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--replace", action="store_true", help="make every file again, recordings included"
    )
    replace = parser.parse_args().replace
    for form_id in FORMS:
        make(form_id, replace)


if __name__ == "__main__":
    main()
