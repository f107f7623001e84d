namespace Karma.Serving.Core.Indexing;

/// <summary>One search result: the item's row in the package tables and its inner-product score.</summary>
public readonly record struct Hit(int Row, float Score);

/// <summary>
/// Which rows a search may return; applied inside the search (an index visits only accepted rows, so a
/// selective filter still yields k results when k accepted rows exist). Must be thread-safe to read.
/// </summary>
public interface IRowFilter
{
    /// <summary>True when <paramref name="row"/> may be returned.</summary>
    bool Accepts(int row);
}

/// <summary>
/// Nearest-neighbour search by inner product over the unit retrieval embeddings of a model package.
/// Implementations: exact (the reference), HNSW (USearch), exact on an ONNX MatMul+TopK graph.
/// </summary>
public interface IVectorIndex : IDisposable
{
    /// <summary>Short name for logs and metrics (<c>exact</c>, <c>hnsw</c>, <c>onnx-exact</c>).</summary>
    string Kind { get; }

    /// <summary>Rows indexed.</summary>
    int Count { get; }

    /// <summary>Vector width.</summary>
    int Dimensions { get; }

    /// <summary>
    /// The up-to-<paramref name="k"/> accepted rows with the highest inner product with <paramref name="query"/>,
    /// best first (ties by lower row). Thread-safe.
    /// </summary>
    IReadOnlyList<Hit> Search(ReadOnlySpan<float> query, int k, IRowFilter? filter = null);
}
