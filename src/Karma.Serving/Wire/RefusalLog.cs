using System.Diagnostics;
using Grpc.Core;

namespace Karma.Serving.Wire;

/// <summary>
/// One short Warning per second at most for each <see cref="RefusalKind"/>, with how many were left out since the
/// last line; never a stack trace. Malformed requests are the caller's fault and cheap to send: a line with a stack
/// trace for each one (≈30 KB, what grpc-dotnet's own logging wrote) let a client fill the disk. The exact counts are
/// in <c>karma_rpc_calls_total</c>.
/// </summary>
public sealed partial class RefusalLog
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly ILogger<RefusalLog> _logger;
    private readonly Window[] _windows = Enum.GetValues<RefusalKind>().Select(_ => new Window()).ToArray();

    /// <summary>Creates the log.</summary>
    public RefusalLog(ILogger<RefusalLog> logger) => _logger = logger;

    /// <summary>Logs a refusal unless one of its kind was logged in the last second (then counts it for the next line).</summary>
    public void Refused(RefusalKind kind, string method, StatusCode status, string detail)
    {
        var window = _windows[(int)kind];
        long now = Stopwatch.GetTimestamp();
        long last = Volatile.Read(ref window.LastLogged);
        if ((last == Window.Never || Stopwatch.GetElapsedTime(last, now) >= Interval)
            && Interlocked.CompareExchange(ref window.LastLogged, now, last) == last)
        {
            Log(_logger, kind, ErrorText.Bound(method, 100), status, ErrorText.Bound(detail), Interlocked.Exchange(ref window.Suppressed, 0));
        }
        else
        {
            Interlocked.Increment(ref window.Suppressed);
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning,
        Message = "Refused a malformed request ({Kind}) to {Method}: {Status} \"{Detail}\"; {Suppressed} more of this kind since the last such line")]
    private static partial void Log(ILogger logger, RefusalKind kind, string method, StatusCode status, string detail, long suppressed);

    private sealed class Window
    {
        public const long Never = long.MinValue;
        public long LastLogged = Never;
        public long Suppressed;
    }
}
