namespace Karma.LoadTesting;

/// <summary>When each request of an open-loop run is due, relative to the run's start.</summary>
public interface ILoadSchedule
{
    /// <summary>Length of the run.</summary>
    TimeSpan Duration { get; }

    /// <summary>Requests in the run.</summary>
    long Count { get; }

    /// <summary>Due time of request <paramref name="i"/> relative to the start; non-decreasing in <paramref name="i"/>.</summary>
    TimeSpan DueAt(long i);
}
