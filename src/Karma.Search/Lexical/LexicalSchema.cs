using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Util;

namespace Karma.Search.Lexical;

/// <summary>
/// What an index holds and how it is scored; building and searching share these so they can never disagree.
/// </summary>
internal static class LexicalSchema
{
    /// <summary>The Lucene compatibility version (file formats, analyzer behaviour).</summary>
    public const LuceneVersion Version = LuceneVersion.LUCENE_48;

    /// <summary>The one searchable field: title, category words, brand, description.</summary>
    public const string TextField = "text";

    /// <summary>Numeric doc values holding the item row, to prove after opening that document ids are rows.</summary>
    public const string RowField = "row";

    /// <summary>BM25 term-frequency saturation.</summary>
    public const float K1 = 1.2f;

    /// <summary>BM25 length normalization.</summary>
    public const float B = 0.75f;

    /// <summary>
    /// The text field: indexed and tokenized, with term frequencies and norms (BM25 needs both), without
    /// positions (no phrase queries, so the postings stay smaller and faster) and not stored (the catalog has
    /// the text).
    /// </summary>
    public static readonly FieldType TextType = CreateTextType();

    /// <summary>
    /// Lucene's English analyzer: standard tokenizer, possessive removal, lower case, English stop words,
    /// Porter stemming. One instance per index; its token streams are reused per thread.
    /// </summary>
    public static Analyzer CreateAnalyzer() => new EnglishAnalyzer(Version);

    /// <summary>
    /// BM25 with k1 = 1.2, b = 0.75. The searcher must use it too, not only the writer: the searcher's
    /// similarity also supplies the query norm and the coordination factor, and Lucene's default (TF-IDF)
    /// would rescale every score by 1/sqrt(sum of squared term weights).
    /// </summary>
    public static Similarity CreateSimilarity() => new BM25Similarity(K1, B);

    private static FieldType CreateTextType()
    {
        var type = new FieldType
        {
            IsIndexed = true,
            IsTokenized = true,
            IsStored = false,
            OmitNorms = false,
            IndexOptions = IndexOptions.DOCS_AND_FREQS,
        };
        type.Freeze();
        return type;
    }
}
