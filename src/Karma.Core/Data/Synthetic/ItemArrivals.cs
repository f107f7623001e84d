namespace Karma.Core.Data.Synthetic;

/// <summary>
/// When items enter the catalog (realistic presets): a marketplace's catalog grows, and the items a model has
/// never seen clicked are mostly the ones that arrived recently, not a random sample of old ones.
/// </summary>
internal static class ItemArrivals
{
    /// <summary>
    /// Arrival times: cold items arrive uniformly inside the evaluation window (or, without a window, at the
    /// start: the simulator then keeps them for final requests as the original does); of the warm items a share
    /// <see cref="Realism.LateArrivalShare"/> arrives uniformly before the window, the rest exist at the start.
    /// </summary>
    public static long[] Draw(Catalog catalog, Realism realism, SimulationPeriod period, Random random)
    {
        var arrival = new long[catalog.Count];
        long lateSpan = Math.Max(1, period.WindowStart - SimulationPeriod.Margin - period.Start);
        long windowSpan = period.End - period.WindowStart;
        for (int i = 0; i < catalog.Count; i++)
        {
            // One draw per item in every case, so the stream does not depend on which branch an item takes.
            double u = random.NextDouble();
            if (catalog.Cold[i])
            {
                arrival[i] = period.HasWindow ? period.WindowStart + (long)(u * windowSpan) : period.Start;
            }
            else if (u < realism.LateArrivalShare)
            {
                // Reuse u, rescaled to [0, 1), as the position inside the pre-window span.
                arrival[i] = period.Start + (long)(u / realism.LateArrivalShare * lateSpan);
            }
            else
            {
                arrival[i] = period.Start;
            }
        }

        return arrival;
    }
}
