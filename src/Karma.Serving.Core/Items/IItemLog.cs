namespace Karma.Serving.Core.Items;

/// <summary>An entry of the item log: where it is, and the change.</summary>
/// <param name="Position">Opaque, increasing along the log; reading after it yields the entries that follow.</param>
/// <param name="Change">The change, or null when the entry could not be read (<paramref name="Problem"/> says why).</param>
/// <param name="Problem">Why a damaged entry was skipped.</param>
public sealed record ItemLogEntry(string Position, ItemChange? Change, string? Problem = null);

/// <summary>
/// The durable, shared list of catalog changes every replica follows: appended by the admin surface, replayed by each
/// model version on top of its package at load, then followed while it serves. Implementations: a Redis stream
/// (<see cref="RedisItemLog"/>) shared by all replicas, and an append-only file (<see cref="FileItemLog"/>).
/// </summary>
public interface IItemLog
{
    /// <summary>What the log is, for logs and errors (a file path, or a Redis stream key).</summary>
    string Description { get; }

    /// <summary>Appends a change; returns its position.</summary>
    Task<string> AppendAsync(ItemChange change, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="max"/> entries after <paramref name="position"/> (null: from the start), in order.</summary>
    Task<IReadOnlyList<ItemLogEntry>> ReadAfterAsync(string? position, int max, CancellationToken cancellationToken);

    /// <summary>The position of the last entry, or null when the log is empty.</summary>
    Task<string?> LastPositionAsync(CancellationToken cancellationToken);

    /// <summary>Orders two positions of this log (null, before the first entry, is least).</summary>
    int Compare(string? a, string? b);
}
