using System.Diagnostics.Metrics;
using Karma.Serving.Configuration;
using Karma.Serving.Hosting;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Tests;

/// <summary>The admission limiter alone: slots, the bounded waiting line, its time limit and the deadline.</summary>
public sealed class CallAdmissionTests : IDisposable
{
    private sealed class Meters : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }

    private readonly Core.Telemetry.KarmaTelemetry _telemetry = new(new Meters());

    public void Dispose() => _telemetry.Dispose();

    private CallAdmission Admission(int slots, int waiting, int waitMs) => new(Options.Create(new ServingOptions
    {
        MaxConcurrentCalls = slots, MaxWaitingCalls = waiting, MaxAdmissionWaitMs = waitMs,
    }), _telemetry);

    [Fact]
    public async Task BeyondSlotsAndLine_IsRefusedAtOnce_AndAWaiterGetsTheNextFreeSlot()
    {
        using var admission = Admission(slots: 2, waiting: 1, waitMs: 10_000);
        Assert.Equal(AdmissionResult.Admitted, await admission.EnterAsync(null, CancellationToken.None));
        Assert.Equal(AdmissionResult.Admitted, await admission.EnterAsync(null, CancellationToken.None));
        var waiter = admission.EnterAsync(null, CancellationToken.None).AsTask();
        Assert.False(waiter.IsCompleted);
        // The line (one place) is taken: the next call is refused without waiting.
        var refused = admission.EnterAsync(null, CancellationToken.None);
        Assert.True(refused.IsCompleted);
        Assert.Equal(AdmissionResult.LineFull, await refused);
        Assert.Equal(2, admission.InFlight);
        admission.Exit();
        Assert.Equal(AdmissionResult.Admitted, await waiter);
        Assert.Equal(2, admission.InFlight);
        admission.Exit();
        admission.Exit();
        Assert.Equal(0, admission.InFlight);
    }

    [Fact]
    public async Task AWaiter_GivesUpAfterTheLongestWait_OrAtItsDeadline_OrWhenCancelled()
    {
        using var admission = Admission(slots: 1, waiting: 5, waitMs: 30);
        Assert.Equal(AdmissionResult.Admitted, await admission.EnterAsync(null, CancellationToken.None));
        Assert.Equal(AdmissionResult.WaitedTooLong, await admission.EnterAsync(null, CancellationToken.None));
        Assert.Equal(AdmissionResult.WaitedTooLong, await admission.EnterAsync(TimeSpan.Zero, CancellationToken.None));
        using var gone = new CancellationTokenSource();
        var cancelled = admission.EnterAsync(TimeSpan.FromMinutes(1), gone.Token).AsTask();
        await gone.CancelAsync();
        Assert.Equal(AdmissionResult.Cancelled, await cancelled);
        // None of them took the slot: it is free once the first call leaves.
        admission.Exit();
        Assert.Equal(AdmissionResult.Admitted, await admission.EnterAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task NoLine_RefusesAtOnce()
    {
        using var admission = Admission(slots: 1, waiting: 0, waitMs: 10_000);
        Assert.Equal(AdmissionResult.Admitted, await admission.EnterAsync(null, CancellationToken.None));
        Assert.Equal(AdmissionResult.LineFull, await admission.EnterAsync(null, CancellationToken.None));
    }

    [Theory]
    [InlineData("1S", 10_000_000L)]
    [InlineData("500m", 5_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("7u", 70L)]
    [InlineData("1000n", 10L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    public void GrpcTimeout_ParsesEachUnit(string header, long ticks) => Assert.Equal(TimeSpan.FromTicks(ticks), GrpcTimeout.Parse(header));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("5")]
    [InlineData("5s")]
    [InlineData("-5S")]
    [InlineData("123456789S")]
    [InlineData(" 5S")]
    public void GrpcTimeout_RefusesMalformedHeaders(string? header) => Assert.Null(GrpcTimeout.Parse(header));
}
