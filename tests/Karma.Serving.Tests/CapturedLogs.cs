using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Karma.Serving.Tests;

/// <summary>An in-memory logger provider: every entry the host writes (at the fixture's minimum level), as text.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    /// <summary>One log entry: category, level, the formatted message and the exception as the console would print it.</summary>
    public sealed record Entry(string Category, LogLevel Level, string Message, string? Exception)
    {
        /// <summary>The entry as lines, the way a console or file sink writes it (message, then the exception's stack).</summary>
        public IReadOnlyList<string> Lines => (Message + (Exception is null ? string.Empty : "\n" + Exception)).Split('\n');
    }

    public IReadOnlyList<Entry> Entries => _entries.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => sink._entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception?.ToString()));
    }
}
