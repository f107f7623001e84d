namespace Karma.Search.Hybrid;

/// <summary>The recall channels of hybrid search, as flags: a candidate records every channel that recalled it.</summary>
[Flags]
public enum RecallChannels
{
    /// <summary>No channel (a candidate the caller supplied, as in PreRank).</summary>
    None = 0,

    /// <summary>Nearest neighbours of the KARMA interest embedding (history and query) in the item-embedding table.</summary>
    Karma = 1,

    /// <summary>BM25 over the item text (title, category, brand, description) for the query.</summary>
    Lexical = 2,

    /// <summary>The most popular items of the leaf categories the request is most likely for (its intent: <see cref="RequestContext.Intent"/>).</summary>
    Category = 4,
}

/// <summary>Channel names as they appear in settings, manifests, metrics and the API.</summary>
public static class RecallChannelNames
{
    /// <summary>Name of <see cref="RecallChannels.Karma"/>.</summary>
    public const string Karma = "karma";

    /// <summary>Name of <see cref="RecallChannels.Lexical"/>.</summary>
    public const string Lexical = "lexical";

    /// <summary>Name of <see cref="RecallChannels.Category"/>.</summary>
    public const string Category = "category";

    /// <summary>The names of the channels set in <paramref name="channels"/>, in a fixed order.</summary>
    public static IEnumerable<string> Of(RecallChannels channels)
    {
        if (channels.HasFlag(RecallChannels.Karma))
        {
            yield return Karma;
        }

        if (channels.HasFlag(RecallChannels.Lexical))
        {
            yield return Lexical;
        }

        if (channels.HasFlag(RecallChannels.Category))
        {
            yield return Category;
        }
    }
}
