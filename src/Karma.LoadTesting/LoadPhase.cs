namespace Karma.LoadTesting;

/// <summary>A named stretch of the measured run (time zero is the end of the warm-up).</summary>
/// <param name="Name">before, storm, after, …</param>
/// <param name="Start">Start, inclusive.</param>
/// <param name="End">End, exclusive.</param>
/// <param name="Rate">Requests per second scheduled during it.</param>
public sealed record LoadPhase(string Name, TimeSpan Start, TimeSpan End, double Rate)
{
    /// <summary>Index of the phase containing <paramref name="t"/>; the last one for times at or past its end, -1 before the first.</summary>
    public static int IndexAt(IReadOnlyList<LoadPhase> phases, TimeSpan t)
    {
        ArgumentNullException.ThrowIfNull(phases);
        if (phases.Count == 0 || t < phases[0].Start)
        {
            return -1;
        }

        for (int p = 0; p < phases.Count; p++)
        {
            if (t < phases[p].End)
            {
                return p;
            }
        }

        return phases.Count - 1;
    }
}

/// <summary>What one phase of a run measured (requests are assigned to phases by due time).</summary>
public sealed record PhaseResult
{
    /// <summary>Phase name.</summary>
    public required string Name { get; init; }

    /// <summary>Start in seconds after the warm-up.</summary>
    public double StartSeconds { get; init; }

    /// <summary>End in seconds after the warm-up.</summary>
    public double EndSeconds { get; init; }

    /// <summary>Scheduled rate (requests/s).</summary>
    public double Rate { get; init; }

    /// <summary>Requests due in the phase (all completed by the end of the run).</summary>
    public long Sent { get; init; }

    /// <summary>Successful requests.</summary>
    public long Ok { get; init; }

    /// <summary>Successes later than their deadline.</summary>
    public long LateOk { get; init; }

    /// <summary>Count and latency of every outcome, OK included.</summary>
    public required IReadOnlyDictionary<string, StatusLatency> ByStatus { get; init; }
}
