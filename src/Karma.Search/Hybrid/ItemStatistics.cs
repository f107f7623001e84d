namespace Karma.Search.Hybrid;

/// <summary>
/// The per-item statistics table of a model package (<c>item_prerank_features.bin</c>): popularity from the
/// training period's engagements and price, log-scaled to about [0, 2]. Counted from training data only, so an
/// evaluation on later requests never sees its own clicks.
/// </summary>
public static class ItemStatistics
{
    /// <summary>Column definitions, in order (recorded in the package manifest).</summary>
    public static readonly IReadOnlyList<string> Columns = ["log1p(train_clicks)/5", "log1p(price)/5"];

    /// <summary>Number of columns.</summary>
    public const int Count = 2;

    /// <summary>Column of the popularity value.</summary>
    public const int PopularityColumn = 0;

    /// <summary>Column of the price value.</summary>
    public const int PriceColumn = 1;

    /// <summary>The table, row-major [items, <see cref="Count"/>].</summary>
    /// <param name="trainClicks">Engagements per item in the training period.</param>
    /// <param name="prices">Price per item (null or negative when unknown: 0 is stored).</param>
    public static float[] Compute(IReadOnlyList<int> trainClicks, IReadOnlyList<double?> prices)
    {
        ArgumentNullException.ThrowIfNull(trainClicks);
        ArgumentNullException.ThrowIfNull(prices);
        if (trainClicks.Count != prices.Count)
        {
            throw new ArgumentException($"{trainClicks.Count} click counts but {prices.Count} prices", nameof(prices));
        }

        var table = new float[trainClicks.Count * Count];
        for (int i = 0; i < trainClicks.Count; i++)
        {
            table[(i * Count) + PopularityColumn] = (float)(Math.Log(1 + Math.Max(0, trainClicks[i])) / 5);
            double price = prices[i] is { } p && p > 0 && double.IsFinite(p) ? p : 0;
            table[(i * Count) + PriceColumn] = (float)(Math.Log(1 + price) / 5);
        }

        return table;
    }
}
