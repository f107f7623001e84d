using Karma.Serving.Configuration;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Hosting;

/// <summary>How an admission attempt ended.</summary>
public enum AdmissionResult
{
    /// <summary>The call holds a slot; give it back with <see cref="CallAdmission.Exit"/>.</summary>
    Admitted,

    /// <summary>Every slot and every waiting place was taken: refused at once.</summary>
    LineFull,

    /// <summary>Waited the longest allowed (or until the call's deadline) without a slot freeing.</summary>
    WaitedTooLong,

    /// <summary>The caller went away while waiting.</summary>
    Cancelled,
}

/// <summary>
/// Admission control of <c>karma.v1.Retrieval</c> calls: at most <see cref="Limit"/> in progress; a few more
/// (<see cref="MaxWaiting"/>) may wait a short time (<see cref="MaxWait"/>, never past their deadline) for a slot, and
/// beyond that a call is refused at once. The work is CPU-bound, so a long line only converts overload into latency
/// for everyone (with 256 calls admitted on 2 cores a storm was answered after seconds and health probes starved);
/// no line at all refuses the bursts of ordinary load (a GC pause or a client catching up delivers a dozen calls at
/// once: with 8 slots and no line, 0.3% of calls were refused at 80% of the sustainable rate).
/// Health, reflection and admin calls are not admitted through here, so overload cannot refuse them.
/// </summary>
public sealed class CallAdmission : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly Core.Telemetry.KarmaTelemetry _telemetry;
    private int _waiting;

    /// <summary>Creates the limiter with the configured (or per-core default) sizes.</summary>
    public CallAdmission(IOptions<ServingOptions> options, Core.Telemetry.KarmaTelemetry telemetry)
    {
        ArgumentNullException.ThrowIfNull(options);
        Limit = options.Value.ConcurrentCallLimit;
        MaxWaiting = options.Value.WaitingCallLimit;
        MaxWait = TimeSpan.FromMilliseconds(options.Value.MaxAdmissionWaitMs);
        _slots = new SemaphoreSlim(Limit, Limit);
        _telemetry = telemetry;
    }

    /// <summary>Calls in progress at most.</summary>
    public int Limit { get; }

    /// <summary>Calls waiting for a slot at most.</summary>
    public int MaxWaiting { get; }

    /// <summary>Longest wait for a slot.</summary>
    public TimeSpan MaxWait { get; }

    /// <summary>Calls in progress now.</summary>
    public int InFlight => Limit - _slots.CurrentCount;

    /// <summary>Takes a slot, waiting at most <see cref="MaxWait"/> (and at most <paramref name="timeLeft"/>) when all are taken.</summary>
    public async ValueTask<AdmissionResult> EnterAsync(TimeSpan? timeLeft, CancellationToken cancellationToken)
    {
        if (_slots.Wait(0, CancellationToken.None))
        {
            return Admitted();
        }

        if (Interlocked.Increment(ref _waiting) > MaxWaiting)
        {
            Interlocked.Decrement(ref _waiting);
            return AdmissionResult.LineFull;
        }

        try
        {
            _telemetry.CallsWaiting(Volatile.Read(ref _waiting));
            var wait = timeLeft is { } left && left < MaxWait ? left : MaxWait;
            if (wait <= TimeSpan.Zero)
            {
                return AdmissionResult.WaitedTooLong;
            }

            return await _slots.WaitAsync(wait, cancellationToken).ConfigureAwait(false) ? Admitted() : AdmissionResult.WaitedTooLong;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return AdmissionResult.Cancelled;
        }
        finally
        {
            _telemetry.CallsWaiting(Interlocked.Decrement(ref _waiting));
        }
    }

    /// <summary>Gives a slot back.</summary>
    public void Exit()
    {
        _slots.Release();
        _telemetry.CallsInFlight(InFlight);
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private AdmissionResult Admitted()
    {
        _telemetry.CallsInFlight(InFlight);
        return AdmissionResult.Admitted;
    }
}
