namespace Karma.Serving.Wire;

/// <summary>
/// Bounds text that goes back to a client or into a log line: a caller-supplied path or header may be megabytes long
/// or hold control characters, and echoing it whole makes the error unreadable (and the log line a flood).
/// </summary>
public static class ErrorText
{
    /// <summary>Longest caller-supplied value shown in an error (longer ones are elided in the middle).</summary>
    public const int MaxShown = 200;

    /// <summary>
    /// <paramref name="text"/> with control characters replaced by '?' and, beyond <paramref name="max"/> characters,
    /// its middle replaced by "…": the start and the end (a path's file name) stay readable.
    /// </summary>
    public static string Bound(string text, int max = MaxShown)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 5);
        string shown = text.Length <= max ? text : string.Concat(text.AsSpan(0, (max - 1) / 2), "…", text.AsSpan(text.Length - (max - 1 - ((max - 1) / 2))));
        return shown.Any(char.IsControl) ? new string(shown.Select(c => char.IsControl(c) ? '?' : c).ToArray()) : shown;
    }
}
