using Grpc.Core;
using Karma.Search.Hybrid;
using Karma.Serving.Configuration;
using Karma.Serving.Contracts.V1;

namespace Karma.Serving.Services;

/// <summary>Checks requests against the limits and throws INVALID_ARGUMENT naming the field.</summary>
public sealed class RequestValidation(ServingOptions options)
{
    /// <summary>Fails with INVALID_ARGUMENT.</summary>
    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    /// <summary>A user context's sizes.</summary>
    public void Context(UserContext? context, string field)
    {
        if (context is null)
        {
            throw Invalid($"{field} is required");
        }

        List(context.HistoryItemIds, $"{field}.history_item_ids");
        Text(context.Query, $"{field}.query");
        Text(context.UserId, $"{field}.user_id");
    }

    /// <summary>A repeated string field's length and each entry's size.</summary>
    public void List(IReadOnlyCollection<string> values, string field)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count > options.MaxListLength)
        {
            throw Invalid($"{field} has {values.Count} entries; at most {options.MaxListLength} are accepted");
        }

        foreach (string v in values)
        {
            Text(v, field);
        }
    }

    /// <summary>A string's length.</summary>
    public void Text(string? value, string field)
    {
        if (value is not null && value.Length > options.MaxStringLength)
        {
            throw Invalid($"{field} is {value.Length} characters long; at most {options.MaxStringLength} are accepted");
        }
    }

    /// <summary>
    /// A ready embedding: right length, finite values, not all zero; returned scaled to unit length. The model's own
    /// interest embeddings are unit length and the pre-ranker was trained on them; scaling also keeps every score
    /// finite (an embedding of 64 × 1e38 used as is scored inf, alternating ±3e38 NaN).
    /// </summary>
    public static float[] Embedding(Embedding embedding, int dimensions, string field)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        if (embedding.Values.Count != dimensions)
        {
            throw Invalid($"{field} has {embedding.Values.Count} values; the model's embedding has {dimensions}");
        }

        var values = embedding.Values.ToArray();
        // In double: the squares of floats near float.MaxValue overflow float but not double.
        double squares = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw Invalid($"{field}.values[{i}] is {values[i]}; values must be finite");
            }

            squares += (double)values[i] * values[i];
        }

        double norm = Math.Sqrt(squares);
        if (!(norm > 1e-30))
        {
            throw Invalid($"{field} is the zero vector; an embedding needs a direction");
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(values[i] / norm);
        }

        return values;
    }

    /// <summary>A count within [min, max].</summary>
    public static void Range(int value, int min, int max, string field)
    {
        if (value < min || value > max)
        {
            throw Invalid($"{field} is {value}; it must be between {min} and {max}");
        }
    }

    /// <summary>Filter lists' sizes.</summary>
    public void Filter(Filter? filter)
    {
        if (filter is null)
        {
            return;
        }

        List(filter.IncludeCategories, "filter.include_categories");
        List(filter.ExcludeCategories, "filter.exclude_categories");
        List(filter.ExcludeItemIds, "filter.exclude_item_ids");
    }

    /// <summary>The recall channels of a Recall request: none means the embedding channel; unknown values are refused.</summary>
    public static RecallChannels Channels(IReadOnlyList<RecallChannel> channels, string field)
    {
        ArgumentNullException.ThrowIfNull(channels);
        var result = RecallChannels.None;
        for (int i = 0; i < channels.Count; i++)
        {
            result |= channels[i] switch
            {
                RecallChannel.Karma => RecallChannels.Karma,
                RecallChannel.Lexical => RecallChannels.Lexical,
                RecallChannel.Category => RecallChannels.Category,
                _ => throw Invalid($"{field}[{i}] is {(int)channels[i]}; expected RECALL_CHANNEL_KARMA (1), RECALL_CHANNEL_LEXICAL (2) or RECALL_CHANNEL_CATEGORY (3)"),
            };
        }

        return result == RecallChannels.None ? RecallChannels.Karma : result;
    }
}
