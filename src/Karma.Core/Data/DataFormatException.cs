namespace Karma.Core.Data;

/// <summary>A data file broke the documented format. The message names the file, the line and the reason.</summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates the error for one place in one file.</summary>
    public DataFormatException(string file, long line, string reason)
        : base($"{file}:{line}: {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    /// <summary>Creates an error that is not tied to one line (line 0).</summary>
    public DataFormatException(string file, string reason)
        : base($"{file}: {reason}")
    {
        File = file;
        Reason = reason;
    }

    /// <inheritdoc />
    public DataFormatException()
        : base("data format error")
    {
        File = string.Empty;
        Reason = Message;
    }

    /// <inheritdoc />
    public DataFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        File = string.Empty;
        Reason = message;
    }

    /// <summary>The file path as given by the caller.</summary>
    public string File { get; }

    /// <summary>One-based line number, or 0 when the problem concerns the whole file.</summary>
    public long Line { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Reason { get; }
}
