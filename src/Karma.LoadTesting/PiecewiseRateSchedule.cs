namespace Karma.LoadTesting;

/// <summary>A stretch of a run at one rate.</summary>
/// <param name="Length">How long the stretch lasts.</param>
/// <param name="Rate">Requests per second during it.</param>
public readonly record struct RateSegment(TimeSpan Length, double Rate);

/// <summary>
/// An open-loop schedule whose rate changes in steps (e.g. normal load, a storm, normal load again). Requests are
/// spaced by the rate in force: the number due by time t is the integral of the rate up to t, so request i is due
/// when that integral reaches i. With one segment this is exactly <see cref="OpenLoopSchedule"/>; at a step the
/// spacing changes at once, with no request lost or doubled at the boundary.
/// </summary>
public sealed class PiecewiseRateSchedule : ILoadSchedule
{
    private readonly RateSegment[] _segments;

    // Per segment: its start and the (fractional) number of requests due before it.
    private readonly TimeSpan[] _starts;
    private readonly double[] _before;

    /// <summary>Segments in order, the first starting at time zero.</summary>
    public PiecewiseRateSchedule(IEnumerable<RateSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        _segments = segments.ToArray();
        if (_segments.Length == 0)
        {
            throw new ArgumentException("a schedule needs at least one segment", nameof(segments));
        }

        _starts = new TimeSpan[_segments.Length];
        _before = new double[_segments.Length];
        TimeSpan start = TimeSpan.Zero;
        double before = 0;
        for (int s = 0; s < _segments.Length; s++)
        {
            if (_segments[s].Rate <= 0 || _segments[s].Length <= TimeSpan.Zero)
            {
                throw new ArgumentException($"segment {s} needs a positive rate and length", nameof(segments));
            }

            _starts[s] = start;
            _before[s] = before;
            start += _segments[s].Length;
            before += _segments[s].Rate * _segments[s].Length.TotalSeconds;
        }

        Duration = start;
        // The epsilon keeps a sum like 100 × 0.3 + 500 × 0.7 from flooring one request short through rounding.
        Count = Math.Max(1, (long)Math.Floor(before + Epsilon));
    }

    private const double Epsilon = 1e-9;

    /// <summary>The segments, in order.</summary>
    public IReadOnlyList<RateSegment> Segments => _segments;

    /// <inheritdoc />
    public TimeSpan Duration { get; }

    /// <inheritdoc />
    public long Count { get; }

    /// <summary>Start of segment <paramref name="index"/>.</summary>
    public TimeSpan SegmentStart(int index) => _starts[index];

    /// <inheritdoc />
    public TimeSpan DueAt(long i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        // The last segment that has begun by request i (a handful of segments: a linear scan is enough).
        int s = _segments.Length - 1;
        while (s > 0 && _before[s] > i + Epsilon)
        {
            s--;
        }

        double offset = Math.Max(0, i - _before[s]) / _segments[s].Rate;
        return _starts[s] + TimeSpan.FromSeconds(offset);
    }
}
