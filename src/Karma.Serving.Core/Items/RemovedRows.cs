using Karma.Serving.Core.Indexing;

namespace Karma.Serving.Core.Items;

/// <summary>
/// Rows no search may return any more: items removed from a served catalog, and the old rows of items upserted again
/// (an upsert appends a new row). A bit per row, immutable; a change makes a new set (a copy of N/8 bytes: 125 KB at
/// 1M items). Checking a row is one array read, cheap enough for the HNSW index's filter callback.
/// </summary>
public sealed class RemovedRows : IRowFilter
{
    private readonly ulong[] _bits;

    private RemovedRows(ulong[] bits, int count)
    {
        _bits = bits;
        Count = count;
    }

    /// <summary>No row removed.</summary>
    public static RemovedRows None { get; } = new([], 0);

    /// <summary>Rows removed.</summary>
    public int Count { get; }

    /// <summary>True when <paramref name="row"/> is removed.</summary>
    public bool Contains(int row) => (uint)(row >> 6) < (uint)_bits.Length && (_bits[row >> 6] & (1UL << row)) != 0;

    /// <summary>True when <paramref name="row"/> is not removed.</summary>
    public bool Accepts(int row) => !Contains(row);

    /// <summary>This set and <paramref name="rows"/>.</summary>
    public RemovedRows With(IEnumerable<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var list = rows.ToList();
        if (list.Count == 0)
        {
            return this;
        }

        int words = Math.Max(_bits.Length, (list.Max() >> 6) + 1);
        var bits = new ulong[words];
        _bits.CopyTo(bits, 0);
        int count = Count;
        foreach (int row in list)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(row, nameof(rows));
            ulong bit = 1UL << row;
            if ((bits[row >> 6] & bit) == 0)
            {
                bits[row >> 6] |= bit;
                count++;
            }
        }

        return new RemovedRows(bits, count);
    }

    /// <summary>A request's filter with the removed rows taken out (the filter itself when nothing is removed).</summary>
    public IRowFilter? Restrict(IRowFilter? filter) => Count == 0 ? filter : filter is null ? this : new Both(this, filter);

    private sealed class Both(RemovedRows removed, IRowFilter filter) : IRowFilter
    {
        public bool Accepts(int row) => removed.Accepts(row) && filter.Accepts(row);
    }
}
