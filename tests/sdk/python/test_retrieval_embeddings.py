"""client.embeddings and client.retrieval against a real catenad (built-in hashing embedder, 384 dimensions)."""
import math

import pytest

import catena

DOCS = [
    {"id": "kangaroo", "text": "The kangaroo hops across the Australian outback.",
     "metadata": {"lang": "en", "year": 2024, "tags": ["animals"]}, "source": "zoo.md"},
    {"id": "pasta", "text": "Fresh pasta needs flour, eggs and patience.",
     "metadata": {"lang": "en", "year": 2021}, "source": "kitchen.md"},
    {"id": "velo", "text": "Le vélo est un moyen de transport écologique.",
     "metadata": {"lang": "fr", "year": 2024}, "source": "ville.md"},
]


def test_embed_returns_one_vector_per_input_normalized_on_request(client):
    embedders = {e.name: e for e in client.embeddings.list_embedders()}
    assert embedders["hashing-384"].dimension == 384
    result = client.embeddings.embed(["first text", "second text"], normalize=True)
    assert result.dimension == 384 and len(result.vectors) == 2
    for vector in result.vectors:
        assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, rel_tol=1e-4)
    single = client.embeddings.embed("first text", normalize=True, kind="query")
    assert single.vectors[0] == pytest.approx(result.vectors[0], abs=1e-6)
    with pytest.raises(catena.NotFound):
        client.embeddings.embed("x", model="no-such-embedder")
    with pytest.raises(ValueError):
        client.embeddings.embed("x", kind="sideways")


@pytest.fixture
def collection(client):
    created = client.retrieval.collections.create(
        "docs", dimension=384, fields={"lang": "string", "year": "int", "tags": "string_list"})
    assert created.name == "docs" and created.spec.dimension == 384
    ids = client.retrieval.upsert("docs", DOCS)
    assert ids == ["kangaroo", "pasta", "velo"]
    return "docs"


def test_collections_are_created_listed_described_and_deleted(client, collection):
    assert [c.name for c in client.retrieval.collections.list()] == ["docs"]
    assert client.retrieval.collections.describe("docs").document_count == 3
    with pytest.raises(catena.AlreadyExists):
        client.retrieval.collections.create("docs", dimension=384)
    client.retrieval.collections.delete("docs")
    with pytest.raises(catena.NotFound):
        client.retrieval.collections.describe("docs")
    assert client.retrieval.collections.list() == []


def test_get_returns_documents_with_their_metadata_as_given(client, collection):
    docs = client.retrieval.get("docs", ["velo", "missing", "kangaroo"])
    assert [d.id for d in docs] == ["velo", "kangaroo"]
    assert catena.struct_to_dict(docs[1].metadata) == {"lang": "en", "year": 2024, "tags": ["animals"]}
    assert docs[1].source == "zoo.md"


def test_search_modes_and_filters(client, collection):
    sparse = client.retrieval.search("docs", "kangaroo outback", mode="sparse", k=3)
    assert sparse[0].document.id == "kangaroo" and sparse[0].sparse_score > 0
    assert any("<em>" in h for h in sparse[0].highlights)
    dense = client.retrieval.search("docs", DOCS[1]["text"], k=1)
    assert dense[0].document.id == "pasta"
    assert dense[0].score == pytest.approx(1.0, abs=1e-3)  # the same text embeds to the same vector
    hybrid = client.retrieval.search("docs", "kangaroo", mode="hybrid", k=3, filter='lang == "en"')
    assert {h.document.id for h in hybrid} <= {"kangaroo", "pasta"}
    assert hybrid[0].document.id == "kangaroo"
    filtered = client.retrieval.search("docs", "transport", mode="sparse", filter="year >= 2024 and lang == \"fr\"")
    assert [h.document.id for h in filtered] == ["velo"]
    weighted = client.retrieval.search("docs", "pasta eggs", mode="hybrid", fusion="weighted", dense_weight=0.5)
    assert weighted[0].document.id == "pasta"
    with pytest.raises(catena.InvalidArgument):
        client.retrieval.search("docs", "x", filter="lang ==")


def test_delete_by_ids_and_by_filter_reports_counts(client, collection):
    assert client.retrieval.delete("docs", ids=["pasta"]) == 1
    assert client.retrieval.delete("docs", filter='lang == "fr"') == 1
    assert [d.id for d in client.retrieval.get("docs", ["kangaroo", "pasta", "velo"])] == ["kangaroo"]


def test_ingest_splits_documents_and_skips_unchanged_ones(client, collection):
    text = "# Cards\n\n" + "A lost card is blocked in the app. " * 20 + "\n\n# Loans\n\n" + "Loans need income. " * 20
    result = client.retrieval.ingest("docs", [{"source": "faq.md", "content": text, "metadata": {"lang": "en"}}],
                                     splitter={"kind": "markdown", "chunk_size": 300, "chunk_overlap": 0})
    assert result.documents == 1 and result.chunks >= 2 and len(result.chunk_ids) == result.chunks
    hits = client.retrieval.search("docs", "lost card blocked", mode="sparse", k=1)
    assert hits[0].document.id in result.chunk_ids and hits[0].document.source == "faq.md"
    progress = list(client.retrieval.ingest_stream(
        "docs", [{"source": "faq.md", "content": text}, {"source": "b.txt", "content": "bees make honey"}]))
    assert [p.documents_done for p in progress][-1] == 2 and progress[-1].documents_total == 2
    assert progress[-1].result.unchanged >= 0 and progress[-1].HasField("result")
    assert progress[-1].result.documents + progress[-1].result.unchanged == 2
