using System.Diagnostics;

namespace Karma.Training.Training;

/// <summary>
/// Prints a progress line for long jobs to standard error: at most once a second and always at the end, with
/// step, percent, the caller's metrics, throughput and time left. Plain lines (no cursor tricks) so logs of CI
/// and <c>tee</c> stay readable.
/// </summary>
public sealed class ProgressReporter
{
    private readonly string _label;
    private readonly long _total;
    private readonly string _unit;
    private readonly TextWriter _out;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _interval;
    private readonly long _startStep;
    private TimeSpan _last = TimeSpan.Zero;

    /// <summary>Creates a reporter for <paramref name="total"/> steps; a resumed run passes the step it starts at.</summary>
    public ProgressReporter(string label, long total, string unit = "ex", TextWriter? output = null, TimeSpan? interval = null,
        long startStep = 0)
    {
        _startStep = startStep;
        _label = label;
        _total = Math.Max(total, 1);
        _unit = unit;
        _out = output ?? Console.Error;
        _interval = interval ?? TimeSpan.FromSeconds(2);
    }

    /// <summary>Elapsed time since creation.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Reports step <paramref name="step"/> (1-based) after <paramref name="units"/> units processed in all.</summary>
    public void Report(long step, long units, Func<string> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var now = _clock.Elapsed;
        if (step < _total && now - _last < _interval)
        {
            return;
        }

        _last = now;
        double rate = units / Math.Max(now.TotalSeconds, 1e-9);
        double left = step >= _total ? 0 : now.TotalSeconds / Math.Max(step - _startStep, 1) * (_total - step);
        _out.WriteLine(
            $"[{_label}] {step}/{_total} {100.0 * step / _total,5:F1}%  {metrics()}  {rate,8:F0} {_unit}/s  elapsed {Format(now)}  left {Format(TimeSpan.FromSeconds(left))}");
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
}
