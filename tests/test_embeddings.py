"""Pretrained word vectors (``--embeddings``): the readers, the alignment to a vocabulary, the
cache, frozen against fine-tuned, the cells' identity, and a run end to end."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import sys

import keras
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers.word_vectors import (
    NEWS_WORDS,
    news_vectors,
    write_glove,
    write_word2vec_binary,
    write_word2vec_text,
)
from test_cell_identity import COMMITTED_RESULTS, todays_cell

import harness.data.embeddings
import harness.execution.runner
from harness.api import OOV_TOKEN_ID, SPLITS, VectorizedData, VectorizedSplit
from harness.cli import main
from harness.config import (
    CellSpec,
    DataConfig,
    DeviceConfig,
    EmbeddingsConfig,
    RunOptions,
    TrainingConfig,
)
from harness.data import word_vectors
from harness.data.cache import embeddings_path, load_embeddings
from harness.data.embeddings import (
    NAMED_SOURCES,
    PackagedVectors,
    align,
    check_coverage,
    with_embeddings,
)
from harness.data.vectorize import prepare
from harness.data.word_vectors import FoundVectors, read_matrix_and_words, read_vector_file
from harness.errors import DataError, HarnessError
from harness.execution.runner import comparison_key, plan_cells, select
from harness.execution.worker import train_cell
from harness.results.log import read_rows
from harness.training.fit import compiled_classifier

WRITERS = {
    "glove": (write_glove, ".txt"),
    "word2vec-text": (write_word2vec_text, ".vec"),
    "word2vec-binary": (write_word2vec_binary, ".bin"),
}
VOCABULARY = ["", "[UNK]", "coach", "season", "nowhere"]  # as TextVectorization orders it


def vector_file(tmp_path, file_format: str, vectors: dict, gzipped: bool = False):
    write, suffix = WRITERS[file_format]
    return write(tmp_path / f"vectors{suffix}{'.gz' if gzipped else ''}", vectors)


def tiny_data(tmp_path, vocabulary: list[str], train_token_ids: list[int]) -> VectorizedData:
    """Vectorised data of one training row, its cache entry a fresh folder."""
    split = VectorizedSplit(
        np.array(train_token_ids, "int32"), np.array([len(train_token_ids)], "int32"),
        np.zeros(1, "int32"),
    )  # fmt: skip
    entry = tmp_path / "entry"
    entry.mkdir(exist_ok=True)
    return VectorizedData(
        config=DataConfig(), fingerprint="sha256:tiny", class_names=["a", "b"], fields=(),
        notes=[], vocabulary=vocabulary, splits=dict.fromkeys(SPLITS, split),
        source_rows=dict.fromkeys(SPLITS, np.zeros(1, "int64")),
        rows_without_tokens=dict.fromkeys(SPLITS, 0), cache_path=entry,
    )  # fmt: skip


# -- Reading -------------------------------------------------------------------------------


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("file_format", WRITERS)
def test_each_format_keeps_only_the_words_wanted(tmp_path, file_format, gzipped):
    vectors = news_vectors(dimension=5, extra=("zebra", "über"))
    path = vector_file(tmp_path, file_format, vectors, gzipped)
    found = read_vector_file(path, {"coach", "über", "absent"})
    assert (found.format, found.dimension) == (file_format, 5)
    assert set(found.vectors) == {"coach", "über"}
    for word in found.vectors:
        np.testing.assert_allclose(found.vectors[word], vectors[word], atol=1e-6)


def test_the_binary_reader_reads_across_chunks_and_vectors_whose_bytes_hold_a_space(
    tmp_path, monkeypatch
):
    spacey = np.frombuffer(b"\x20\x20\x20\x40" * 3, "<f4")  # every byte a space or '@'
    vectors = {"first": np.ones(3, "float32"), "spacey": spacey, **news_vectors(3)}
    path = write_word2vec_binary(tmp_path / "vectors.bin", vectors)
    monkeypatch.setattr(word_vectors, "CHUNK_BYTES", 7)  # refills in the middle of everything
    found = read_vector_file(path, set(vectors))
    assert set(found.vectors) == set(vectors)
    for word, vector in vectors.items():
        np.testing.assert_array_equal(found.vectors[word], vector)


def test_a_word_that_repeats_keeps_its_first_vector(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("coach 1 2\nseason 3 4\ncoach 5 6\n")
    assert read_vector_file(path, {"coach"}).vectors["coach"].tolist() == [1, 2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a 1 2 3\nb 1 2 3\nc 1 2\n",
         r"vectors.txt, line 3: 2 numbers where vectors have 3 \(line 1 has 3\)"),
        ("2 3\na 1 2 3\nb 1 2 3 4\n",
         r"line 3: 4 numbers where vectors have 3 \(its header says 3\)"),
        ("a 1 2 3\ncoach 1 x1 3\n", r"vectors.txt, line 2: 'x1' is not a number"),
        ("coach 1 nan 3\n", r"line 1: holds a number that is not finite"),
        ("coach\n", r"line 1: a word without a vector"),
        ("\n\n", r"vectors.txt: holds no word vectors"),
    ],
    ids=["ragged", "against-header", "not-a-number", "not-finite", "no-vector", "empty"],
)  # fmt: skip
def test_a_malformed_text_file_is_refused_with_its_line(tmp_path, content, message):
    path = tmp_path / "vectors.txt"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_vector_file(path, {"coach"})


def test_a_binary_file_cut_inside_a_vector_is_refused(tmp_path):
    path = write_word2vec_binary(tmp_path / "vectors.bin", news_vectors(4))
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(DataError, match=f"ends inside vector {len(NEWS_WORDS)} of the"):
        read_vector_file(path, {"coach"})


def test_a_missing_or_damaged_file_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"absent\.txt: no such file"):
        read_vector_file(tmp_path / "absent.txt", {"coach"})
    damaged = tmp_path / "vectors.txt.gz"
    damaged.write_bytes(gzip.compress(b"coach 1 2\n" * 100)[:-4])  # cut in its trailer
    with pytest.raises(DataError, match=r"vectors\.txt\.gz: cannot read it"):
        read_vector_file(damaged, {"coach"})


def test_a_packaged_matrix_reads_only_the_rows_wanted(tmp_path):
    vectors = news_vectors(4)
    np.save(tmp_path / "matrix.npy", np.stack(list(vectors.values())))
    pd.DataFrame({"index": list(vectors)}).to_parquet(tmp_path / "words.parquet")
    found = read_matrix_and_words(tmp_path / "matrix.npy", tmp_path / "words.parquet", {"coach"})
    assert (found.format, found.dimension, set(found.vectors)) == ("npy+parquet", 4, {"coach"})
    np.testing.assert_array_equal(found.vectors["coach"], vectors["coach"])
    pd.DataFrame({"index": ["coach"]}).to_parquet(tmp_path / "words.parquet")
    with pytest.raises(DataError, match=f"lists 1 words for the {len(vectors)} rows"):
        read_matrix_and_words(tmp_path / "matrix.npy", tmp_path / "words.parquet", {"coach"})


# -- Alignment -----------------------------------------------------------------------------


def test_alignment_padding_zero_found_rows_from_the_file_others_random_and_coverage(tmp_path):
    vectors = {"coach": np.full(3, 1.0, "float32"), "season": np.full(3, 3.0, "float32")}
    found = FoundVectors("glove", 3, {**vectors, "zebra": np.zeros(3, "float32")})
    aligned = align(found, VOCABULARY, np.array([2, 2, 3, 4, OOV_TOKEN_ID]), {"source": "v"})
    matrix = aligned.matrix
    assert matrix.shape == (5, 3) and matrix.dtype == np.float32
    assert not matrix[0].any()  # padding
    np.testing.assert_array_equal(matrix[2], vectors["coach"])
    np.testing.assert_array_equal(matrix[3], vectors["season"])
    assert matrix[OOV_TOKEN_ID].any() and matrix[4].any()  # seeded random rows, each its own
    assert not np.array_equal(matrix[OOV_TOKEN_ID], matrix[4])
    assert aligned.description == {
        "source": "v", "format": "glove", "dimension": 3, "words_found": 2,
        "vocabulary_words": 3, "vocabulary_coverage": round(2 / 3, 6),
        "token_coverage": 0.6, "random_rows_seed": 0,
    }  # fmt: skip
    again = align(found, VOCABULARY, np.array([2]), {"source": "v"})
    np.testing.assert_array_equal(again.matrix, matrix)  # seeded


def test_random_rows_have_the_scale_of_the_files_vectors():
    rng = np.random.default_rng(1)
    known = {f"w{i}": rng.normal([3, -1], [0.5, 2.0]).astype("float32") for i in range(3000)}
    vocabulary = ["", "[UNK]", *known, *(f"absent{i}" for i in range(3000))]
    matrix = align(FoundVectors("glove", 2, known), vocabulary, np.array([2]), {}).matrix
    random_rows = matrix[2 + len(known) :]
    np.testing.assert_allclose(random_rows.mean(axis=0), [3, -1], atol=0.1)
    np.testing.assert_allclose(random_rows.std(axis=0), [0.5, 2.0], rtol=0.05)


def test_vectors_of_none_of_the_words_or_too_few_are_refused():
    with pytest.raises(DataError, match="holds none of the vocabulary's 3 words"):
        align(FoundVectors("glove", 2, {}), VOCABULARY, np.array([2]), {"source": "v.txt"})
    description = {"source": "v.txt", "vocabulary_coverage": 0.004, "words_found": 80,
                   "vocabulary_words": 20_000}  # fmt: skip
    with pytest.raises(DataError, match=r"covers 0.40% of the vocabulary \(80 of 20,000 words\)"):
        check_coverage(description, 0.01)
    check_coverage(description, 0.0)


# -- Aligned once, cached, read by the workers ---------------------------------------------


def test_aligned_once_then_read_from_the_data_cache_entry(tmp_path, monkeypatch):
    data = tiny_data(tmp_path, VOCABULARY, [2, 3, 4])
    path = write_glove(tmp_path / "vectors.txt", news_vectors(4))
    reads = []
    read_source = harness.data.embeddings.read_source
    monkeypatch.setattr(
        harness.data.embeddings, "read_source", lambda *a: reads.append(a) or read_source(*a)
    )
    first = with_embeddings(EmbeddingsConfig(str(path)), data)
    second = with_embeddings(EmbeddingsConfig(str(path)), data)
    assert len(reads) == 1
    assert first.embeddings is not None and second.embeddings is not None
    np.testing.assert_array_equal(first.embeddings.matrix, second.embeddings.matrix)
    description = first.embeddings.description
    assert description["fingerprint"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert description["vocabulary_coverage"] == round(2 / 3, 6)
    stored = embeddings_path(data.cache_path, description["fingerprint"], 0)  # as a worker finds it
    np.testing.assert_array_equal(load_embeddings(stored).matrix, first.embeddings.matrix)

    write_glove(path, news_vectors(4, seed=1))  # another content: another entry
    with_embeddings(EmbeddingsConfig(str(path)), data)
    assert len(reads) == 2 and len(list((data.cache_path / "embeddings").glob("*/meta.json"))) == 2


def test_the_embedding_width_follows_the_file_and_another_asked_for_is_refused(tmp_path):
    data = tiny_data(tmp_path, VOCABULARY, [2])
    path = str(write_glove(tmp_path / "vectors.txt", news_vectors(4)))
    assert with_embeddings(EmbeddingsConfig(path, dimension=4), data).embeddings is not None
    with pytest.raises(HarnessError, match=r"--embedding-dim 64, but the vectors of .* have 4"):
        with_embeddings(EmbeddingsConfig(path, dimension=64), data)
    with pytest.raises(DataError, match=r"covers 66\.67% of the vocabulary"):
        with_embeddings(EmbeddingsConfig(path, min_coverage=0.9), data)


def test_named_sources_unknown_not_installed_and_installed(tmp_path, monkeypatch):
    data = tiny_data(tmp_path, VOCABULARY, [2])
    with pytest.raises(DataError, match=r"glove-6b-100d: no such file, nor a named source .*"
                       r"did you mean 'glove-6b-50d'"):  # fmt: skip
        with_embeddings(EmbeddingsConfig("glove-6b-100d"), data)

    package = tmp_path / "site" / "tiny_vectors_package"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text(f"ROOT = {str(package / 'data')!r}\n")
    vectors = news_vectors(4)
    np.save(package / "data" / "matrix.npy", np.stack(list(vectors.values())))
    pd.DataFrame({"index": list(vectors)}).to_parquet(package / "data" / "words.parquet")
    named = PackagedVectors(
        "tiny_vectors_package", "tiny-vectors", "tiny", "matrix.npy", "words.parquet"
    )
    monkeypatch.setitem(NAMED_SOURCES, "tiny-vectors", named)
    with pytest.raises(HarnessError, match=r"needs the package tiny-vectors: pip install "
                       r"'rnn-harness\[tiny\]'"):  # fmt: skip
        with_embeddings(EmbeddingsConfig("tiny-vectors"), data)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    aligned = with_embeddings(EmbeddingsConfig("tiny-vectors"), data).embeddings
    assert aligned is not None
    assert aligned.description["format"] == "npy+parquet"
    np.testing.assert_array_equal(aligned.matrix[2], vectors["coach"])
    sys.modules.pop("tiny_vectors_package", None)


# -- In the model ---------------------------------------------------------------------------


@pytest.fixture
def news_data(news_dir, tmp_path, registry) -> VectorizedData:
    data = prepare(DataConfig(source=str(news_dir)), registry, tmp_path / "cache")
    path = write_glove(tmp_path / "vectors.txt", news_vectors(8))
    return with_embeddings(EmbeddingsConfig(str(path)), data)


@pytest.mark.parametrize("trainable", [False, True], ids=["frozen", "fine-tuned"])
def test_the_embedding_starts_from_the_vectors_and_changes_only_when_trainable(
    news_data, registry, trainable
):
    keras.utils.set_random_seed(0)
    lstm = registry.architecture("lstm").item
    training = TrainingConfig(batch_size=16, embedding_dim=8)
    model = compiled_classifier(
        lstm, lstm.defaults(), news_data, training, mask=True, embeddings_trainable=trainable
    )
    assert news_data.embeddings is not None
    start = news_data.embeddings.matrix
    embedding = model.get_layer("embedding")
    np.testing.assert_array_equal(embedding.get_weights()[0], start)
    assert len(embedding.trainable_weights) == int(trainable)
    train = news_data.train
    batches = registry.padding_strategy("mask").item.batches(
        train, 16, training_lengths=train.lengths, shuffle_seed=0
    )
    model.fit(batches, epochs=1, shuffle=False, verbose=0)
    assert np.array_equal(embedding.get_weights()[0], start) == (not trainable)


# -- The cell's identity --------------------------------------------------------------------


COMMITTED_VERSION = "0.2.0"  # the committed rows written before pretrained vectors existed


def committed_cells() -> list[tuple[dict, CellSpec]]:
    """The committed rows of :data:`COMMITTED_VERSION`, each with its cell as this harness
    plans it."""
    rows = [json.loads(line) for line in COMMITTED_RESULTS.read_text().splitlines() if line]
    current = [row for row in rows if row["versions"].get("rnn-harness") == COMMITTED_VERSION]
    return [
        (row, dataclasses.replace(todays_cell(row), padding_plugin=row["padding_plugin"]))
        for row in current
    ]


def test_cells_without_vectors_keep_the_hashes_of_the_committed_results(monkeypatch):
    monkeypatch.setattr(harness.execution.runner, "__version__", COMMITTED_VERSION)
    cells = committed_cells()
    assert len(cells) == 54
    for row, cell in cells:
        assert cell.config_hash() == row["config_hash"]
        assert comparison_key(cell) == row["comparison"]


def test_vectors_frozen_or_fine_tuned_make_new_cells_and_comparisons():
    _, cell = committed_cells()[0]
    described = {"source": "glove.txt", "fingerprint": "sha256:1", "vocabulary_coverage": 0.9}
    frozen = dataclasses.replace(cell, embeddings={**described, "trainable": False})
    tuned = dataclasses.replace(cell, embeddings={**described, "trainable": True})
    assert len({c.config_hash() for c in (cell, frozen, tuned)}) == 3
    assert len({comparison_key(c) for c in (cell, frozen, tuned)}) == 3
    assert CellSpec.from_json(frozen.to_json()) == frozen


# -- The command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--min-coverage", "0"], "--min-coverage: only with --embeddings"),
        (["--embeddings-frozen"], "--embeddings-frozen: only with --embeddings"),
        (["--embeddings", "v.txt", "--embeddings-trainable", "--embeddings-frozen"],
         "give either --embeddings-trainable or --embeddings-frozen"),
    ],
)  # fmt: skip
def test_settings_of_the_vectors_without_them_or_in_conflict_are_usage_errors(arguments, message):
    result = CliRunner().invoke(main, ["run", "-a", "lstm", *arguments])
    assert result.exit_code == 2
    assert message in result.output


def test_a_cell_handed_its_data_trains_on_the_vectors_it_carries(news_data, registry):
    """The path of Ray, whose cells are handed the data, the vectors included."""
    options = RunOptions(
        architectures=("bag-of-embeddings",), paddings=("none",), seeds=1,
        training=TrainingConfig(max_epochs=1, batch_size=16, embedding_dim=8),
        embeddings=EmbeddingsConfig("vectors.txt", trainable=True),
    )  # fmt: skip
    (cell,) = plan_cells(
        options, select(options, registry), registry, news_data, {}, DeviceConfig()
    )
    assert cell.embeddings["trainable"] and cell.embeddings["words_found"] == len(NEWS_WORDS)
    outcome = train_cell(cell, lambda line: None, news_data)
    assert outcome["status"] == "done", outcome["reason"]


@pytest.mark.slow
def test_a_run_on_glove_vectors_records_coverage_and_fingerprint_a_ragged_line_stops_it(
    harness_run, tmp_path
):
    glove = write_glove(tmp_path / "glove.txt", news_vectors(8, extra=("zebra",)))
    first = ["-a", "lstm", "-p", "bucket", "--embeddings", str(glove), "--seeds", "1"]
    done = harness_run(*first, "--max-train", "500")
    assert "of the vocabulary" in done.stdout and "frozen" in done.stdout
    (row,) = read_rows(harness_run.out / "results.jsonl")
    assert row["status"] == "done", row["reason"]
    assert row["training"]["embedding_dim"] == 8  # the file's width
    embeddings = row["embeddings"]
    fingerprint = "sha256:" + hashlib.sha256(glove.read_bytes()).hexdigest()
    assert (embeddings["fingerprint"], embeddings["trainable"]) == (fingerprint, False)
    assert embeddings["vocabulary_coverage"] == embeddings["token_coverage"] == 1.0
    assert "- **Embeddings:** `" in (harness_run.out / "leaderboard.md").read_text()

    lines = glove.read_text().splitlines()
    glove.write_text("\n".join([*lines, "coach 0.1 0.2"]) + "\n")
    ragged_out = tmp_path / "ragged"
    ragged = harness_run(*first, "--out", str(ragged_out), check=False)
    assert ragged.returncode == 2
    assert f"glove.txt, line {len(lines) + 1}: 2 numbers where vectors have 8" in ragged.stderr
    assert not (ragged_out / "results.jsonl").exists()
