namespace Karma.LoadTesting.Tests;

public sealed class ScheduleAndRecorderTests
{
    [Fact]
    public void Schedule_SpacesRequestsEvenly()
    {
        var s = new OpenLoopSchedule(200, TimeSpan.FromSeconds(3));
        Assert.Equal(600, s.Count);
        Assert.Equal(TimeSpan.Zero, s.DueAt(0));
        Assert.Equal(TimeSpan.FromMilliseconds(5), s.DueAt(1));
        Assert.Equal(TimeSpan.FromSeconds(2.5), s.DueAt(500));
    }

    /// <summary>
    /// A server that stalls one request for a second, behind a client with one connection: requests due during
    /// the stall cannot be sent. Measured from the send, they look fast (coordinated omission); measured from
    /// their due time they show the second users waited.
    /// </summary>
    [Fact]
    public void SimulatedStall_IsVisibleOnlyInCorrectedLatency()
    {
        var schedule = new OpenLoopSchedule(100, TimeSpan.FromSeconds(4)); // 400 requests, 10 ms apart
        var recorder = new LatencyRecorder();
        TimeSpan previousDone = TimeSpan.Zero;
        for (long i = 0; i < schedule.Count; i++)
        {
            var due = schedule.DueAt(i);
            var sent = due > previousDone ? due : previousDone; // one request in flight at a time
            var service = i == 100 ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(1);
            var done = sent + service;
            recorder.Record(new RequestTiming(due, sent, done), null);
            previousDone = done;
        }

        var corrected = Percentiles.Of(recorder.Corrected);
        var uncorrected = Percentiles.Of(recorder.Uncorrected);
        Assert.InRange(uncorrected.P90, 0.9, 1.1);           // almost every send is answered in 1 ms
        Assert.True(corrected.P90 > 100, $"corrected p90 {corrected.P90} ms"); // ~100 requests waited up to a second
        Assert.InRange(corrected.Max, 990, 1010);
        Assert.Equal(400, recorder.Completed);
    }

    [Fact]
    public void Errors_AreCountedByStatus_AndNotRecordedAsLatency()
    {
        var recorder = new LatencyRecorder();
        var t = new RequestTiming(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(3));
        recorder.Record(t, null);
        recorder.Record(t, "Unavailable");
        recorder.Record(t, "Unavailable");
        recorder.Record(t, "ResourceExhausted");
        Assert.Equal(4, recorder.Completed);
        Assert.Equal(1, recorder.Corrected.TotalCount);
        Assert.Equal(2, recorder.Errors["Unavailable"]);
        Assert.Equal(1, recorder.Errors["ResourceExhausted"]);
    }

    [Theory]
    [InlineData("search:80,recall:10,prerank:10", 0.0, "search")]
    [InlineData("search:80,recall:10,prerank:10", 0.85, "recall")]
    [InlineData("search:80,recall:10,prerank:10", 0.95, "prerank")]
    [InlineData("encode:1", 0.99, "encode")]
    public void Mix_PicksByWeight(string mix, double u, string expected)
        => Assert.Equal(expected, RequestMix.Parse(mix).Pick(u));

    [Theory]
    [InlineData("search")]
    [InlineData("browse:10")]
    [InlineData("search:-1")]
    [InlineData("search:0")]
    public void Mix_RejectsBadEntries(string mix) => Assert.Throws<FormatException>(() => RequestMix.Parse(mix));

    [Fact]
    public async Task FindMax_BracketsTheCapacity()
    {
        // A fake service that holds p99 10 ms up to 300 req/s and 500 ms beyond.
        static Task<LoadTestResult> Run(double rate) => Task.FromResult(new LoadTestResult
        {
            Target = "fake",
            Rate = rate,
            Sent = 1000,
            Corrected = new Percentiles(1, 2, rate <= 300 ? 10 : 500, 600, 700),
            Uncorrected = new Percentiles(1, 2, 3, 4, 5),
            Errors = new Dictionary<string, long>(),
            Mix = new Dictionary<string, long>(),
        });
        var (rate, best, runs) = await MaxRateSearch.FindAsync(Run, 50, sloP99Ms: 20, bisections: 6);
        Assert.InRange(rate, 290, 300);
        Assert.NotNull(best);
        Assert.Equal([50.0, 100, 200, 400], runs.Take(4).Select(r => r.Rate));
    }
}
