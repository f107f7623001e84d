namespace Karma.Core.Data.Synthetic;

/// <summary>
/// The simulated period of a preset: its start, the start of the evaluation window (every user's final two
/// requests and the cold items' arrivals fall inside it) and its end, all in Unix seconds.
/// </summary>
/// <param name="Start">Start of the period (<see cref="SessionSimulator.Epoch"/>).</param>
/// <param name="WindowStart">Start of the evaluation window; equal to <paramref name="End"/> when there is none.</param>
/// <param name="End">End of the period.</param>
internal readonly record struct SimulationPeriod(long Start, long WindowStart, long End)
{
    /// <summary>
    /// Room kept free before the window and before the end, so that a request's clicks, carts, purchases and
    /// reformulations (at most about 1.5 hours after it) stay on the same side of the window boundary.
    /// </summary>
    public const long Margin = 2 * 3600;

    /// <summary>True when the preset has an evaluation window.</summary>
    public bool HasWindow => WindowStart < End;

    /// <summary>The period of <paramref name="preset"/>.</summary>
    public static SimulationPeriod For(SyntheticPreset preset)
    {
        long start = SessionSimulator.Epoch;
        long end = start + (preset.Days * 86_400L);
        int evalDays = preset.Realism?.EvalDays ?? 0;
        return new SimulationPeriod(start, end - (evalDays * 86_400L), end);
    }
}
