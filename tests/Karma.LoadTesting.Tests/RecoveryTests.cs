namespace Karma.LoadTesting.Tests;

public sealed class RecoveryTests
{
    private const short Ok = 0;
    private const short Rejected = (short)Grpc.Core.StatusCode.ResourceExhausted;

    /// <summary>10 requests a second from <paramref name="from"/> to <paramref name="to"/>, latency by second.</summary>
    private static IEnumerable<TimelinePoint> Load(double from, double to, Func<double, float> ms, short status = Ok)
    {
        for (double t = from; t < to - 1e-9; t += 0.1)
        {
            yield return new TimelinePoint(t, ms(t), status);
        }
    }

    [Fact]
    public void Recovery_IsTheFirstSecondAfterWhichLatencyStaysWithinTheThreshold()
    {
        // Storm 10–20 s; afterwards 3 s slow, one good second, one slow again, then good to the end at 30 s.
        var points = Load(20, 30, t => t switch { < 23 => 500f, < 24 => 5f, < 25 => 80f, _ => 6f }).ToArray();
        Assert.Equal(5, TimelineAnalysis.RecoverySeconds(points, stormEnd: 20, runEnd: 30, thresholdMs: 20));
    }

    [Fact]
    public void Recovery_IsZeroWhenLatencyNeverLeftNormal_AndNullWhenItNeverCameBack()
    {
        Assert.Equal(0, TimelineAnalysis.RecoverySeconds(Load(20, 30, _ => 5f).ToArray(), 20, 30, 20));
        Assert.Null(TimelineAnalysis.RecoverySeconds(Load(20, 30, t => t < 29 ? 5f : 100f).ToArray(), 20, 30, 20));
        Assert.Null(TimelineAnalysis.RecoverySeconds([], 20, 30, 20));
        Assert.Null(TimelineAnalysis.RecoverySeconds(Load(20, 30, _ => 5f).ToArray(), 20, 30, double.NaN)); // no baseline
    }

    [Fact]
    public void ASecondOfOnlyRejections_IsNotRecovered_ButOneWithoutRequestsSaysNothing()
    {
        var points = Load(20, 22, _ => 1f, Rejected)                // everything refused for 2 s
            .Concat(Load(22, 24, _ => 5f))
            .Concat(Load(25, 30, _ => 5f))                          // 24–25: no requests at all
            .ToArray();
        Assert.Equal(2, TimelineAnalysis.RecoverySeconds(points, 20, 30, 20));
    }

    [Fact]
    public void Recovery_CountsSecondsFromTheStormsEnd_AndIgnoresEarlierRequests()
    {
        var points = Load(0, 10.5, _ => 900f).Concat(Load(10.5, 12.5, _ => 900f)).Concat(Load(12.5, 20, _ => 4f)).ToArray();
        // Seconds from 10.5: [10.5, 11.5) and [11.5, 12.5) slow, then good from 2 s after the storm.
        Assert.Equal(2, TimelineAnalysis.RecoverySeconds(points, 10.5, 20, 10));
    }

    [Fact]
    public void PerSecond_CountsOutcomesAndOkPercentiles()
    {
        var points = Load(0, 1, _ => 10f).Concat(Load(0, 1, _ => 1f, Rejected)).Concat(Load(1, 2, t => (float)(100 * (t - 1)))).ToArray();
        var seconds = TimelineAnalysis.PerSecond(points, 3);
        Assert.Equal(3, seconds.Count);
        Assert.Equal(20, seconds[0].Sent);
        Assert.Equal(10, seconds[0].Ok);
        Assert.Equal(10, seconds[0].Errors["ResourceExhausted"]);
        Assert.Equal(10, seconds[0].OkP99Ms, 3);
        Assert.Equal(90, seconds[1].OkP99Ms, 1);  // latencies 0, 10, …, 90 ms
        Assert.Equal(0, seconds[2].Sent);
        Assert.True(double.IsNaN(seconds[2].OkP50Ms));
    }

    [Fact]
    public void Percentile_IsNearestRank()
    {
        float[] sorted = Enumerable.Range(1, 100).Select(i => (float)i).ToArray();
        Assert.Equal(99, TimelineAnalysis.Percentile(sorted, 99));
        Assert.Equal(50, TimelineAnalysis.Percentile(sorted, 50));
        Assert.Equal(100, TimelineAnalysis.Percentile(sorted, 100));
        Assert.Equal(7, TimelineAnalysis.Percentile([7f], 99));
    }
}
