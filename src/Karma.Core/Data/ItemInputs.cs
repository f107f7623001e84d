using Karma.Core.Text;

namespace Karma.Core.Data;

/// <summary>
/// How an item is presented to the item tower, shared by the trainer, the exporter and the service (which embeds new
/// items with the package's item tower): the texts it reads and its hashed id bucket. A change here changes every
/// model's inputs, so it is defined once.
/// </summary>
public static class ItemInputs
{
    /// <summary>The text the backbone's tokenizer reads: title, then the category path as words.</summary>
    public static string TokenText(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.Title + " " + item.Category.Replace('/', ' ');
    }

    /// <summary>
    /// The token ids the item tower reads: <see cref="TokenText"/> through the model's tokenizer, cut to
    /// <paramref name="maxTokens"/>, and [UNK] alone when nothing is left.
    /// </summary>
    public static int[] TokenIds(IQueryTokenizer tokenizer, Item item, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int[] ids = tokenizer.Encode(TokenText(item));
        if (ids.Length > maxTokens)
        {
            ids = ids[..maxTokens];
        }

        return ids.Length == 0 ? [SpecialTokens.Unk] : ids;
    }

    /// <summary>The text a frozen pretrained sentence encoder reads: title, a full stop, then the category path as words.</summary>
    public static string SentenceText(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return $"{item.Title}. {item.Category.Replace('/', ' ')}";
    }

    /// <summary>Stable 32-bit FNV-1a hash of an item id into <paramref name="buckets"/>, so buckets do not depend on catalog order (0 when id embeddings are off).</summary>
    public static int IdBucket(string itemId, int buckets)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        if (buckets <= 0)
        {
            return 0;
        }

        uint h = 2166136261;
        foreach (char c in itemId)
        {
            h = (h ^ c) * 16777619;
        }

        return (int)(h % (uint)buckets);
    }
}
