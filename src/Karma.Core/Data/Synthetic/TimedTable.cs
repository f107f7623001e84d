namespace Karma.Core.Data.Synthetic;

/// <summary>
/// Items drawn with probability proportional to their weights among those that have arrived by a given time:
/// the items are kept in arrival order with cumulative weights, so the items present at time t are a prefix
/// (one binary search) and a draw is a second binary search inside it. O(log n) per draw, no per-time tables.
/// </summary>
internal sealed class TimedTable
{
    private readonly int[] _items;
    private readonly long[] _arrival;
    private readonly double[] _cumulative;

    /// <summary>Builds the table over <paramref name="items"/> (any order).</summary>
    public TimedTable(IEnumerable<int> items, long[] arrival, double[] weight)
    {
        // Arrival order, ties by index, so the table and its draws are deterministic.
        _items = items.OrderBy(i => arrival[i]).ThenBy(i => i).ToArray();
        _arrival = _items.Select(i => arrival[i]).ToArray();
        _cumulative = new double[_items.Length];
        double total = 0;
        for (int k = 0; k < _items.Length; k++)
        {
            total += weight[_items[k]];
            _cumulative[k] = total;
        }
    }

    /// <summary>Number of entries, arrived or not.</summary>
    public int Count => _items.Length;

    /// <summary>Number of items that have arrived by <paramref name="time"/>.</summary>
    public int CountAt(long time)
    {
        // Upper bound: the first index whose arrival is after time.
        int lo = 0, hi = _arrival.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_arrival[mid] <= time)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>One item among the first <paramref name="present"/> (see <see cref="CountAt"/>), or -1 when there are none.</summary>
    public int Sample(Random random, int present)
    {
        if (present <= 0)
        {
            return -1;
        }

        double x = random.NextDouble() * _cumulative[present - 1];
        int i = Array.BinarySearch(_cumulative, 0, present, x);
        if (i < 0)
        {
            i = ~i;
        }

        return _items[Math.Min(i, present - 1)];
    }
}
