using Karma.Core.Package;
using Karma.Serving.Core.Items;
using Karma.Serving.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace Karma.Serving.Core.Inference;

/// <summary>A user context as the service receives it.</summary>
/// <param name="HistoryItemIds">Engaged item ids, most recent last.</param>
/// <param name="Query">Query text, or null/empty for browse.</param>
public sealed record UserContextInput(IReadOnlyList<string> HistoryItemIds, string? Query);

/// <summary>How a context was read: what was skipped or cut to fit the model.</summary>
public readonly record struct ContextStats(int UnknownHistoryItems, int TruncatedHistoryItems, int QueryTokens, bool QueryTruncated);

/// <summary>A context that cannot be encoded; the message names what is wrong (maps to INVALID_ARGUMENT).</summary>
public sealed class InvalidContextException : Exception
{
    /// <inheritdoc />
    public InvalidContextException(string message) : base(message)
    {
    }

    /// <inheritdoc />
    public InvalidContextException()
    {
    }

    /// <inheritdoc />
    public InvalidContextException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// Turns user contexts into interest embeddings with the package's user tower: maps history ids to table rows
/// (unknown ids skipped and counted, the oldest dropped beyond the model's limit), tokenizes the query, lays
/// out <see cref="InterestSequence"/>, gathers history tokens from the memory-mapped table and runs the batch with
/// the OrtValue API, as one call or a few calls over rows of similar length. Thread-safe.
/// </summary>
public sealed class InterestEncoder
{
    private readonly ModelPackage _package;
    private readonly Func<ServedItems>? _items;
    private readonly int _maxHistory, _maxQuery, _dModel, _dim;

    /// <summary>Creates the encoder for a loaded package.</summary>
    /// <param name="package">The package.</param>
    /// <param name="items">
    /// The items served now, when they change while the package serves (history ids of added items are then known);
    /// null: the package's items.
    /// </param>
    public InterestEncoder(ModelPackage package, Func<ServedItems>? items = null)
    {
        ArgumentNullException.ThrowIfNull(package);
        _package = package;
        _items = items;
        _maxHistory = package.Manifest.Limits.MaxHistory;
        _maxQuery = package.Manifest.Limits.MaxQueryTokens;
        _dModel = package.Manifest.Dimensions.DModel;
        _dim = package.Manifest.Dimensions.EmbedDim;
    }

    /// <summary>Embedding width D.</summary>
    public int Dimensions => _dim;

    /// <summary>Reads a context: rows of the known history items (most recent last, capped) and the query's tokens.</summary>
    public (PreparedContext Context, ContextStats Stats) Prepare(UserContextInput context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var rows = new List<int>(Math.Min(context.HistoryItemIds.Count, _maxHistory));
        int unknown = 0;
        var catalog = _items?.Invoke().Catalog ?? _package.Catalog;
        foreach (string id in context.HistoryItemIds)
        {
            if (id is not null && catalog.IndexOf.TryGetValue(id, out int row))
            {
                rows.Add(row);
            }
            else
            {
                unknown++;
            }
        }

        int truncated = Math.Max(0, rows.Count - _maxHistory);
        int[] kept = rows.Skip(truncated).ToArray();
        int[] all = string.IsNullOrWhiteSpace(context.Query) ? [] : _package.Tokenizer.Encode(context.Query);
        int[] query = all.Length > _maxQuery ? all[.._maxQuery] : all;
        if (kept.Length == 0 && query.Length == 0)
        {
            throw new InvalidContextException(unknown > 0
                ? $"context: none of the {unknown} history item ids is in the catalog and the query is empty"
                : "context: history_item_ids and query are both empty");
        }

        int[]? textTokens = _package.QueryText is { } text && !string.IsNullOrWhiteSpace(context.Query) ? text.Tokenize(context.Query) : null;
        return (new PreparedContext(kept, query, textTokens), new ContextStats(unknown, truncated, query.Length, all.Length > _maxQuery));
    }

    /// <summary>Encodes a batch; returns one unit embedding per context, in order.</summary>
    public float[][] Encode(IReadOnlyList<UserContextInput> contexts, out ContextStats[] stats)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        int b = contexts.Count;
        stats = new ContextStats[b];
        var prepared = new PreparedContext[b];
        for (int i = 0; i < b; i++)
        {
            (prepared[i], stats[i]) = Prepare(contexts[i]);
        }

        return Run(prepared);
    }

    /// <summary>
    /// Runs the user tower on prepared contexts. A batch whose sequences differ much in
    /// length is run as a few sub-batches of similar lengths (<see cref="LengthGroups"/>): every row is padded to the
    /// longest of its run, and padding is paid-for compute.
    /// </summary>
    public float[][] Run(IReadOnlyList<PreparedContext> prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        if (prepared.Count == 0)
        {
            return [];
        }

        var groups = LengthGroups(prepared.Select(p => InterestSequence.Length(p.Rows.Length, p.Query.Length)).ToArray());
        if (groups.Count == 1)
        {
            return Run(Gather(prepared));
        }

        var result = new float[prepared.Count][];
        foreach (int[] group in groups)
        {
            var embeddings = Run(Gather(group.Select(i => prepared[i]).ToList()));
            for (int j = 0; j < group.Length; j++)
            {
                result[group[j]] = embeddings[j];
            }
        }

        return result;
    }

    /// <summary>
    /// Splits a batch into runs of similar sequence length: sorted by length, a run is closed when it holds at least
    /// <paramref name="minGroup"/> rows and adding the next row would pad it beyond <paramref name="slack"/> of its real
    /// tokens. Each extra run costs one session call (about 0.06 ms for the shipped user tower), so runs stay large.
    /// </summary>
    /// <returns>Row indices of each run, shortest sequences first.</returns>
    public static IReadOnlyList<int[]> LengthGroups(IReadOnlyList<int> lengths, int minGroup = 8, double slack = 0.2)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(minGroup, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(slack);
        if (lengths.Count == 0)
        {
            return [];
        }

        int[] order = Enumerable.Range(0, lengths.Count).OrderBy(i => lengths[i]).ToArray();
        var groups = new List<int[]>();
        int start = 0;
        long real = 0;
        for (int k = 0; k < order.Length; k++)
        {
            int length = lengths[order[k]];
            int count = k - start;
            if (count >= minGroup && (long)(count + 1) * length > (1 + slack) * (real + length))
            {
                groups.Add(order[start..k]);
                start = k;
                real = 0;
            }

            real += length;
        }

        groups.Add(order[start..]);
        return groups;
    }

    /// <summary>
    /// Lays out the user tower's inputs for prepared contexts: token ids, history tokens gathered from the table, the
    /// [INT] positions, padded to the longest sequence of the batch, and with a text encoder the queries' sentence
    /// embeddings (zeros for a request without a query).
    /// </summary>
    public UserTowerBatch Gather(IReadOnlyList<PreparedContext> prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentOutOfRangeException.ThrowIfZero(prepared.Count);
        int b = prepared.Count;
        int t = prepared.Max(p => InterestSequence.Length(p.Rows.Length, p.Query.Length));
        var ids = new long[b * t];
        var history = new float[b * t * _dModel];
        var positions = new long[b];
        // Read after every context was prepared: a later snapshot holds every row an earlier one did.
        IRowVectors tokens = _items?.Invoke().HistoryTokens ?? _package.HistoryTokens;
        for (int i = 0; i < b; i++)
        {
            var (rows, query, _) = prepared[i];
            positions[i] = InterestSequence.Layout(rows.Length, query, ids.AsSpan(i * t, t), _package.SequenceTokens);
            for (int h = 0; h < rows.Length; h++)
            {
                int at = (i * t + InterestSequence.FirstHistoryPosition + h) * _dModel;
                tokens.CopyRow(rows[h], history.AsSpan(at, _dModel));
            }
        }

        float[]? queryEmbeddings = null;
        if (_package.QueryText is { } text)
        {
            queryEmbeddings = new float[b * text.Dimensions];
            var withQuery = Enumerable.Range(0, b).Where(i => prepared[i].TextTokens is not null).ToList();
            var embedded = text.Embed(withQuery.Select(i => prepared[i].TextTokens!).ToList());
            for (int j = 0; j < withQuery.Count; j++)
            {
                embedded[j].CopyTo(queryEmbeddings, withQuery[j] * text.Dimensions);
            }
        }

        return new UserTowerBatch(ids, history, positions, b, t, _dModel, queryEmbeddings);
    }

    /// <summary>Runs the user tower on a gathered batch; returns one unit embedding per row, in order.</summary>
    public float[][] Run(UserTowerBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.DModel != _dModel)
        {
            throw new ArgumentException($"batch token width {batch.DModel}, the model's {_dModel}", nameof(batch));
        }

        using var inputs = batch.CreateInputs();
        using var runOptions = new RunOptions();
        using var outputs = _package.UserTower.Run(runOptions, batch.InputNames, inputs.Values, UserTowerBatch.OutputNames);
        var flat = outputs[0].GetTensorDataAsSpan<float>();
        var result = new float[batch.Batch][];
        for (int i = 0; i < batch.Batch; i++)
        {
            result[i] = flat.Slice(i * _dim, _dim).ToArray();
        }

        return result;
    }

}
