using Karma.Core.Data;
using StackExchange.Redis;

namespace Karma.Serving.Core.Items;

/// <summary>
/// The item log as a Redis stream (<c>XADD</c> / <c>XREAD</c>), shared by every replica that names the same Redis:
/// each entry holds one change in its <c>change</c> field; a position is the stream entry id.
/// </summary>
public sealed class RedisItemLog(IConnectionMultiplexer redis, string key = RedisItemLog.DefaultKey) : IItemLog
{
    /// <summary>The stream's key unless configured otherwise.</summary>
    public const string DefaultKey = "karma:items";

    private const string Field = "change";

    /// <inheritdoc />
    public string Description => $"Redis stream {key}";

    /// <inheritdoc />
    public async Task<string> AppendAsync(ItemChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        change = change with { Time = DateTimeOffset.UtcNow };
        var id = await redis.GetDatabase().StreamAddAsync(key, Field, change.ToJson()).ConfigureAwait(false);
        return id.ToString();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ItemLogEntry>> ReadAfterAsync(string? position, int max, CancellationToken cancellationToken)
    {
        var entries = await redis.GetDatabase().StreamReadAsync(key, position ?? "0-0", max).ConfigureAwait(false);
        return entries.Select(Read).ToList();
    }

    private ItemLogEntry Read(StreamEntry entry)
    {
        string position = entry.Id.ToString();
        var value = entry[Field];
        if (value.IsNull)
        {
            return new ItemLogEntry(position, null, $"{Description} entry {position}: no '{Field}' field");
        }

        try
        {
            return new ItemLogEntry(position, ItemChange.Parse(value.ToString(), $"{Description} entry {position}"));
        }
        catch (DataFormatException e)
        {
            return new ItemLogEntry(position, null, e.Message);
        }
    }

    /// <inheritdoc />
    public async Task<string?> LastPositionAsync(CancellationToken cancellationToken)
    {
        var last = await redis.GetDatabase().StreamRangeAsync(key, "-", "+", 1, Order.Descending).ConfigureAwait(false);
        return last.Length == 0 ? null : last[0].Id.ToString();
    }

    /// <inheritdoc />
    public int Compare(string? a, string? b)
    {
        var x = Parse(a);
        var y = Parse(b);
        return x.Millis != y.Millis ? x.Millis.CompareTo(y.Millis) : x.Sequence.CompareTo(y.Sequence);
    }

    private static (ulong Millis, ulong Sequence) Parse(string? id)
    {
        if (id is null)
        {
            return (0, 0);
        }

        int dash = id.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && ulong.TryParse(id.AsSpan(0, dash), System.Globalization.CultureInfo.InvariantCulture, out ulong ms)
            && ulong.TryParse(id.AsSpan(dash + 1), System.Globalization.CultureInfo.InvariantCulture, out ulong seq)
            ? (ms, seq)
            : throw new ArgumentException($"'{id}' is not a Redis stream entry id", nameof(id));
    }
}
