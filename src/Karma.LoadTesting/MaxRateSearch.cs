namespace Karma.LoadTesting;

/// <summary>
/// Finds the highest rate whose corrected p99 stays within an SLO (and errors under 1%): doubles the rate
/// until a run fails, then bisects between the last passing and the first failing rate.
/// </summary>
public static class MaxRateSearch
{
    /// <summary>Runs the search with <paramref name="run"/> (rate → result); returns the best passing result, if any.</summary>
    public static async Task<(double Rate, LoadTestResult? Result, List<LoadTestResult> Runs)> FindAsync(
        Func<double, Task<LoadTestResult>> run, double startRate, double sloP99Ms, int bisections = 4, double maxRate = 100_000)
    {
        ArgumentNullException.ThrowIfNull(run);
        var runs = new List<LoadTestResult>();
        bool Passes(LoadTestResult r) => r.Corrected.P99 <= sloP99Ms && r.ErrorRatio < 0.01;
        double low = 0, high = 0;
        LoadTestResult? best = null;
        for (double rate = startRate; rate <= maxRate; rate *= 2)
        {
            var r = await run(rate).ConfigureAwait(false);
            runs.Add(r);
            if (!Passes(r))
            {
                high = rate;
                break;
            }

            low = rate;
            best = r;
        }

        if (high == 0)
        {
            return (low, best, runs);
        }

        for (int i = 0; i < bisections && high - low > 1; i++)
        {
            double mid = (low + high) / 2;
            var r = await run(mid).ConfigureAwait(false);
            runs.Add(r);
            if (Passes(r))
            {
                low = mid;
                best = r;
            }
            else
            {
                high = mid;
            }
        }

        return (low, best, runs);
    }
}
