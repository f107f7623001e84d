using Karma.Serving.Configuration;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Hosting;

/// <summary>
/// Admission control of <c>karma.v1.Retrieval</c> calls: at most <see cref="Limit"/> in progress, the rest refused at
/// once (no waiting line). A waiting line in a server whose work is CPU-bound only converts overload into latency
/// for everyone: with 256 calls admitted on 2 cores, a storm was answered OK after seconds and health probes starved.
/// Health, reflection and admin calls are not admitted through here, so overload cannot refuse them.
/// </summary>
public sealed class CallAdmission
{
    private readonly Core.Telemetry.KarmaTelemetry _telemetry;
    private int _inFlight;

    /// <summary>Creates the limiter with the configured (or per-core default) limit.</summary>
    public CallAdmission(IOptions<ServingOptions> options, Core.Telemetry.KarmaTelemetry telemetry)
    {
        ArgumentNullException.ThrowIfNull(options);
        Limit = options.Value.ConcurrentCallLimit;
        _telemetry = telemetry;
    }

    /// <summary>Calls in progress at most.</summary>
    public int Limit { get; }

    /// <summary>Calls in progress now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Takes a slot, or returns false at once when all are taken.</summary>
    public bool TryEnter()
    {
        int now = Interlocked.Increment(ref _inFlight);
        if (now > Limit)
        {
            Interlocked.Decrement(ref _inFlight);
            return false;
        }

        _telemetry.CallsInFlight(now);
        return true;
    }

    /// <summary>Gives a slot back.</summary>
    public void Exit() => _telemetry.CallsInFlight(Interlocked.Decrement(ref _inFlight));
}
