namespace Karma.Core.Data.Synthetic;

/// <summary>A fixed set of indices drawn with probability proportional to their weights (cumulative sums + binary search).</summary>
internal sealed class WeightedTable
{
    private readonly int[] _values;
    private readonly double[] _cumulative;

    /// <summary>Builds the table; zero-weight entries are never drawn.</summary>
    public WeightedTable(IReadOnlyList<int> values, Func<int, double> weight)
    {
        _values = [.. values];
        _cumulative = new double[_values.Length];
        double total = 0;
        for (int i = 0; i < _values.Length; i++)
        {
            total += weight(_values[i]);
            _cumulative[i] = total;
        }
    }

    /// <summary>Number of entries.</summary>
    public int Count => _values.Length;

    /// <summary>Sum of the weights.</summary>
    public double Total => _cumulative.Length == 0 ? 0 : _cumulative[^1];

    /// <summary>Draws one value; the table must not be empty.</summary>
    public int Sample(Random random)
    {
        double x = random.NextDouble() * Total;
        int i = Array.BinarySearch(_cumulative, x);
        if (i < 0)
        {
            i = ~i;
        }

        return _values[Math.Min(i, _values.Length - 1)];
    }
}
