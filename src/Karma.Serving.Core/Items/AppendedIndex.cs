using System.Numerics.Tensors;
using Karma.Core.Package;
using Karma.Serving.Core.Indexing;

namespace Karma.Serving.Core.Items;

/// <summary>
/// The package's vector index with the rows added since it was built: the index answers for the package's rows, an
/// exact scan for the added ones (rows <c>index.Count</c> on), and the two lists are merged; removed rows are
/// skipped in both. The added rows are few next to the package's (a new package folds them in), so scanning them
/// costs little: 60,000 rows of 64 floats are about 4M multiply-adds, a millisecond or two on one core.
/// </summary>
public sealed class AppendedIndex : IVectorIndex
{
    private static readonly Comparer<Hit> WorstFirst =
        Comparer<Hit>.Create(static (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Row.CompareTo(a.Row));

    private readonly IVectorIndex _index;
    private readonly AppendedRows _rows;
    private readonly RemovedRows _removed;

    /// <summary>The index over the package's rows and the table with the added rows (the index's rows first).</summary>
    public AppendedIndex(IVectorIndex index, AppendedRows rows, RemovedRows removed)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(removed);
        if (rows.Rows - rows.AppendedCount != index.Count || rows.Cols != index.Dimensions)
        {
            throw new ArgumentException($"the table has {rows.Rows - rows.AppendedCount} rows of {rows.Cols} before the added ones, the index {index.Count} of {index.Dimensions}",
                nameof(rows));
        }

        _index = index;
        _rows = rows;
        _removed = removed;
    }

    /// <inheritdoc />
    public string Kind => _index.Kind;

    /// <inheritdoc />
    public int Count => _rows.Rows;

    /// <inheritdoc />
    public int Dimensions => _index.Dimensions;

    /// <summary>The index over the package's rows.</summary>
    public IVectorIndex Inner => _index;

    /// <inheritdoc />
    public IReadOnlyList<Hit> Search(ReadOnlySpan<float> query, int k, IRowFilter? filter = null)
    {
        if (query.Length != Dimensions)
        {
            throw new ArgumentException($"query has {query.Length} values, the index {Dimensions}", nameof(query));
        }

        if (k <= 0)
        {
            return [];
        }

        var restricted = _removed.Restrict(filter);
        var hits = new List<Hit>(_index.Search(query, k, restricted));
        // The added rows' best k in a bounded heap whose root is the worst kept (lowest score, then highest row).
        var best = new PriorityQueue<Hit, Hit>(k + 1, WorstFirst);
        var row = new float[Dimensions];
        for (int r = _index.Count; r < Count; r++)
        {
            if (restricted is null || restricted.Accepts(r))
            {
                _rows.CopyRow(r, row);
                var hit = new Hit(r, TensorPrimitives.Dot(query, row));
                if (best.Count < k)
                {
                    best.Enqueue(hit, hit);
                }
                else if (WorstFirst.Compare(best.Peek(), hit) < 0)
                {
                    best.EnqueueDequeue(hit, hit);
                }
            }
        }

        hits.AddRange(best.UnorderedItems.Select(e => e.Element));
        hits.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Row.CompareTo(b.Row));
        return hits.Count > k ? hits.GetRange(0, k) : hits;
    }

    /// <summary>The index over the package's rows belongs to the model version and is disposed with it.</summary>
    public void Dispose()
    {
    }
}
