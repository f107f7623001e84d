namespace Karma.LoadTesting.Tests;

public sealed class OutcomeRecorderTests
{
    private static RequestTiming Timing(double dueMs, double sentMs, double doneMs)
        => new(TimeSpan.FromMilliseconds(dueMs), TimeSpan.FromMilliseconds(sentMs), TimeSpan.FromMilliseconds(doneMs));

    [Fact]
    public void EachStatus_HasItsOwnLatency_AndSuccessesKeepTheOldFields()
    {
        var recorder = new LatencyRecorder();
        for (int i = 0; i < 100; i++)
        {
            recorder.Record(Timing(0, 0, 20), null);                 // OK: 20 ms
            recorder.Record(Timing(0, 0, 1), "ResourceExhausted");   // rejected at once
        }

        recorder.Record(Timing(0, 0, 200), "DeadlineExceeded");
        var byStatus = recorder.ByStatus();
        Assert.Equal(["DeadlineExceeded", "OK", "ResourceExhausted"], byStatus.Keys.Order());
        Assert.Equal(100, byStatus["OK"].Count);
        Assert.InRange(byStatus["OK"].Corrected.P99, 19.9, 20.1);
        Assert.InRange(byStatus["ResourceExhausted"].Corrected.P99, 0.99, 1.01);
        Assert.InRange(byStatus["ResourceExhausted"].Uncorrected.Max, 0.99, 1.01);
        Assert.InRange(byStatus["DeadlineExceeded"].Corrected.Max, 199, 201);
        // Compatibility: Corrected/Uncorrected are the successes, Errors excludes OK.
        Assert.Equal(100, recorder.Corrected.TotalCount);
        Assert.Equal(new Dictionary<string, long> { ["ResourceExhausted"] = 100, ["DeadlineExceeded"] = 1 }, recorder.Errors);
        Assert.Equal(201, recorder.Completed);
        Assert.Equal(100, recorder.Count("ResourceExhausted"));
    }

    [Fact]
    public void LateOk_CountsSuccessesPastTheDeadlineFromTheSend()
    {
        var recorder = new LatencyRecorder();
        var deadline = TimeSpan.FromMilliseconds(100);
        recorder.Record(Timing(0, 0, 99), null, deadline);
        recorder.Record(Timing(0, 0, 101), null, deadline);            // late
        recorder.Record(Timing(0, 50, 140), null, deadline);           // 140 from due, 90 from send: in time
        recorder.Record(Timing(0, 0, 150), "DeadlineExceeded", deadline); // an error, not a late OK
        Assert.Equal(1, recorder.LateOk);
        Assert.Equal(3, recorder.Count(CallStatus.Ok));
    }

    [Fact]
    public void CallStatus_NamesCodesLikeTheService()
    {
        Assert.Equal("OK", CallStatus.Name(0));
        Assert.Equal("ResourceExhausted", CallStatus.Name((short)Grpc.Core.StatusCode.ResourceExhausted));
        Assert.Equal("ClientError", CallStatus.Name(CallStatus.ClientErrorCode));
    }

    [Fact]
    public void Timeline_KeepsEveryRequest_OrEveryKthBeyondCapacity()
    {
        var all = new RequestTimeline(10);
        for (int i = 9; i >= 0; i--)
        {
            all.Set(i, new TimelinePoint(i, 1, 0));
        }

        Assert.Equal(1, all.Stride);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (double)i), all.Points().Select(p => p.DueSeconds));

        var sampled = new RequestTimeline(100, capacity: 30);
        Assert.Equal(4, sampled.Stride);
        for (int i = 0; i < 100; i++)
        {
            sampled.Set(i, new TimelinePoint(i, 1, 0));
        }

        Assert.Equal(25, sampled.Points().Count);
        Assert.Empty(new RequestTimeline(10).Points()); // nothing recorded (e.g. all warm-up)
    }

    [Fact]
    public async Task InFlightCounter_CompletesAfterSealAndTheLastRequest()
    {
        var counter = new InFlightCounter();
        counter.Add();
        counter.Add();
        var drained = counter.SealAsync();
        Assert.False(drained.IsCompleted);
        Assert.Equal(2, counter.Count);
        counter.Done();
        Assert.False(drained.IsCompleted);
        counter.Done();
        await drained;
        Assert.Equal(0, counter.Count);
        Assert.True(new InFlightCounter().SealAsync().IsCompleted);
    }
}
