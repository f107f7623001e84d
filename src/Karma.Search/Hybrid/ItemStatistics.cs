namespace Karma.Search.Hybrid;

/// <summary>
/// The per-item statistics table of a model package (<c>item_statistics.bin</c>): popularity from the training
/// period's engagements, price, and exposure (training-period impressions), log-scaled to about [0, 2]. Counted from
/// training data only, so an evaluation on later requests never sees its own clicks.
/// </summary>
public static class ItemStatistics
{
    /// <summary>Column definitions, in order (recorded in the package manifest).</summary>
    public static readonly IReadOnlyList<string> Columns = ["log1p(train_clicks)/5", "log1p(price)/5", "log1p(train_impressions)/5"];

    /// <summary>Number of columns.</summary>
    public const int Count = 3;

    /// <summary>Column of the popularity value.</summary>
    public const int PopularityColumn = 0;

    /// <summary>Column of the price value.</summary>
    public const int PriceColumn = 1;

    /// <summary>Column of the exposure value.</summary>
    public const int ExposureColumn = 2;

    /// <summary>The table, row-major [items, <see cref="Count"/>].</summary>
    /// <param name="trainClicks">Engagements per item among the training examples (<see cref="Karma.Core.Data.TemporalSplit.TrainClicks"/>).</param>
    /// <param name="prices">Price per item (null or negative when unknown: 0 is stored).</param>
    /// <param name="trainImpressions">Impressions per item in the training period.</param>
    public static float[] Compute(IReadOnlyList<int> trainClicks, IReadOnlyList<double?> prices, IReadOnlyList<int> trainImpressions)
    {
        ArgumentNullException.ThrowIfNull(trainClicks);
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentNullException.ThrowIfNull(trainImpressions);
        if (trainClicks.Count != prices.Count || trainClicks.Count != trainImpressions.Count)
        {
            throw new ArgumentException($"{trainClicks.Count} click counts, {prices.Count} prices, {trainImpressions.Count} impression counts", nameof(prices));
        }

        var table = new float[trainClicks.Count * Count];
        for (int i = 0; i < trainClicks.Count; i++)
        {
            table[(i * Count) + PopularityColumn] = (float)(Math.Log(1 + Math.Max(0, trainClicks[i])) / 5);
            double price = prices[i] is { } p && p > 0 && double.IsFinite(p) ? p : 0;
            table[(i * Count) + PriceColumn] = (float)(Math.Log(1 + price) / 5);
            table[(i * Count) + ExposureColumn] = (float)(Math.Log(1 + Math.Max(0, trainImpressions[i])) / 5);
        }

        return table;
    }
}
