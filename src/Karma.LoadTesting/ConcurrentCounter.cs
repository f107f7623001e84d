using System.Collections.Concurrent;

namespace Karma.LoadTesting;

/// <summary>Counts by key from many threads.</summary>
public sealed class ConcurrentCounter
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    /// <summary>One more of <paramref name="key"/>.</summary>
    public void Add(string key) => _counts.AddOrUpdate(key, 1, (_, n) => n + 1);

    /// <summary>The counts so far.</summary>
    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_counts, StringComparer.Ordinal);
}
