namespace Karma.LoadTesting;

/// <summary>One request on the run's timeline.</summary>
/// <param name="DueSeconds">Due time after the warm-up.</param>
/// <param name="Ms">Latency from the due time.</param>
/// <param name="Status">gRPC status code, or <see cref="CallStatus.ClientErrorCode"/>.</param>
public readonly record struct TimelinePoint(double DueSeconds, float Ms, short Status)
{
    /// <summary>Whether the request succeeded.</summary>
    public bool IsOk => Status == 0;
}

/// <summary>
/// Every request's due time, latency and status, in a slot per request index so completing calls never contend
/// (each writes its own slot). Beyond <c>capacity</c> requests only every k-th is kept, bounding memory (16 bytes
/// an entry) for long or fast runs.
/// </summary>
public sealed class RequestTimeline
{
    private const short Empty = short.MinValue;
    private readonly TimelinePoint[] _points;

    /// <summary>A timeline for a schedule of <paramref name="count"/> requests.</summary>
    public RequestTimeline(long count, long capacity = 2_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Stride = Math.Max(1, (count + capacity - 1) / capacity);
        _points = new TimelinePoint[(count + Stride - 1) / Stride];
        Array.Fill(_points, new TimelinePoint(0, 0, Empty));
    }

    /// <summary>1 when every request is kept, k when every k-th is.</summary>
    public long Stride { get; }

    /// <summary>Stores request <paramref name="index"/> if it is one of those kept.</summary>
    public void Set(long index, TimelinePoint point)
    {
        if (index % Stride == 0 && index / Stride < _points.Length)
        {
            _points[index / Stride] = point;
        }
    }

    /// <summary>The stored requests by due time; call once every request has finished.</summary>
    public IReadOnlyList<TimelinePoint> Points() => _points.Where(p => p.Status != Empty).OrderBy(p => p.DueSeconds).ToArray();
}
