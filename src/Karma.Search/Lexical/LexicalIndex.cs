using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Index;
using Lucene.Net.Search;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Karma.Search.Lexical;

/// <summary>
/// A BM25 index over the item catalog's text (README.md beside this project): document i is item table row i.
/// Built with <see cref="Build(string, IEnumerable{LexicalDocument}, IProgress{string}?)"/> into a directory of a model package and opened with <see cref="Open(string, int)"/>, or
/// held in memory with <see cref="InMemory(IEnumerable{LexicalDocument})"/>.
/// </summary>
/// <remarks>
/// <see cref="Terms"/>, <see cref="Match"/> and <see cref="Search"/> are safe to call from many threads at once
/// (Lucene's searcher is; the analyzer keeps one token stream per thread). <see cref="Dispose"/> must not run
/// concurrently with them.
/// </remarks>
public sealed partial class LexicalIndex : IDisposable
{
    /// <summary>
    /// At most this many distinct analyzed terms of a query are used; the rest are ignored. Far below Lucene's
    /// <c>BooleanQuery.MaxClauseCount</c> (1024, a process-wide setting this library leaves alone).
    /// </summary>
    public const int MaxQueryTerms = 32;

    /// <summary>
    /// Only this many characters of a query are analyzed: queries are user input, and beyond
    /// <see cref="MaxQueryTerms"/> terms more text cannot change the result anyway.
    /// </summary>
    public const int MaxQueryChars = 4096;

    private readonly LuceneDirectory? _directory;
    private readonly IndexReader _reader;
    private readonly IndexSearcher _searcher;
    private readonly Analyzer _analyzer;
    private readonly bool _owner;
    private int _disposed;

    private LexicalIndex(string source, LuceneDirectory directory, DirectoryReader reader, Analyzer analyzer)
    {
        Source = source;
        _directory = directory;
        _reader = reader;
        _analyzer = analyzer;
        _owner = true;
        _searcher = new IndexSearcher(reader) { Similarity = LexicalSchema.CreateSimilarity() };
    }

    /// <summary>A view of <paramref name="main"/> with the documents of <paramref name="appended"/> after its own (<see cref="LexicalAppendix"/>); owns nothing.</summary>
    private LexicalIndex(LexicalIndex main, IndexReader appended)
    {
        Source = main.Source + " + appended";
        _directory = null;
        // Document ids of a multi-reader run through its readers in order: the package's rows, then the appended rows.
        // The term statistics (document frequency, field length) are the sum of both, so BM25 scores of old and new
        // rows stay comparable.
        _reader = new MultiReader([main._reader, appended], closeSubReaders: false);
        _analyzer = main._analyzer;
        _owner = false;
        _searcher = new IndexSearcher(_reader) { Similarity = LexicalSchema.CreateSimilarity() };
    }

    /// <summary>The view <see cref="LexicalAppendix"/> hands out.</summary>
    internal static LexicalIndex Appended(LexicalIndex main, IndexReader appended) => new(main, appended);

    /// <summary>The reader of the index's documents (for an appendix's checks).</summary>
    internal IndexReader Reader => _reader;

    /// <summary>Where the index came from: its directory, or "memory".</summary>
    public string Source { get; }

    /// <summary>Number of documents (= item table rows).</summary>
    public int Count => _reader.MaxDoc;

    /// <summary>
    /// The analyzed terms of <paramref name="query"/> as the index sees them: lower-cased, stop words removed,
    /// stemmed, deduplicated in order of first occurrence, at most <see cref="MaxQueryTerms"/>. Empty for a
    /// blank query or one of stop words and punctuation only. Never throws for any string.
    /// </summary>
    public IReadOnlyList<string> Terms(string? query)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return Analyze(_analyzer, query);
    }

    /// <summary>
    /// Every document matching at least one query term with its BM25 score (the sum over the distinct query
    /// terms), in ascending row order, collected in one pass. Empty for a blank query. Dispose the result to
    /// return its arrays to the pool (optional).
    /// </summary>
    /// <remarks>
    /// Measured (Release, one thread of a 2-core machine, index loaded by <see cref="Open(string, int)"/>, synthetic titles
    /// recombined from the shipped catalog): 10k items, 2–3 term queries matching 200–2,800 rows: 13–97 µs;
    /// 1M items: 0.4–3 ms for queries matching 17k–85k rows, 10 ms for one matching 284k rows (28% of the
    /// catalog). The cost is about 30–40 ns per matched row (Lucene's disjunction scorer) plus ~10 µs per
    /// query; about 28 KB of Lucene's per-query objects are allocated, nothing per hit.
    /// </remarks>
    public LexicalMatches Match(string? query)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        IReadOnlyList<string> terms = Analyze(_analyzer, query);
        if (terms.Count == 0 || _reader.MaxDoc == 0)
        {
            return LexicalMatches.Empty;
        }

        // Disjunction of the terms: BM25 with coordination off, so a document's score is exactly the sum of its
        // matching terms' scores. The term statistics are looked up once here; they give each TermQuery its
        // dictionary entry (no second lookup) and bound the number of hits for the collector.
        var disjunction = new BooleanQuery(disableCoord: true);
        long bound = 0;
        foreach (string text in terms)
        {
            var term = new Term(LexicalSchema.TextField, text);
            var context = TermContext.Build(_searcher.TopReaderContext, term);
            if (context.DocFreq > 0)
            {
                bound += context.DocFreq;
                disjunction.Add(new TermQuery(term, context), Occur.SHOULD);
            }
        }

        if (disjunction.Clauses.Count == 0)
        {
            return LexicalMatches.Empty;
        }

        var collector = new MatchCollector((int)Math.Min(bound, _reader.MaxDoc));
        _searcher.Search(disjunction, collector);
        return collector.ToMatches();
    }

    /// <summary>
    /// The <paramref name="k"/> best rows by BM25 score, best first (equal scores: lower row first), only
    /// rows <paramref name="accept"/> returns true for. The same as <c>Match(query).Top(k, accept)</c>.
    /// </summary>
    public IReadOnlyList<LexicalHit> Search(string? query, int k, Func<int, bool>? accept = null)
    {
        if (k <= 0)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return [];
        }

        using LexicalMatches matches = Match(query);
        return matches.Top(k, accept);
    }

    /// <summary>Closes the reader and the files (a view of an appendix owns neither: its appendix and the main index do).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !_owner)
        {
            return;
        }

        _reader.Dispose();
        _directory?.Dispose();
        _analyzer.Dispose();
    }

    /// <summary>
    /// Runs <paramref name="text"/> through the analyzer and returns its distinct terms. The text is user
    /// input: no query syntax is interpreted, every character is just text for the tokenizer.
    /// </summary>
    internal static IReadOnlyList<string> Analyze(Analyzer analyzer, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        if (text.Length > MaxQueryChars)
        {
            // Do not leave half of a surrogate pair at the cut.
            int cut = char.IsHighSurrogate(text[MaxQueryChars - 1]) ? MaxQueryChars - 1 : MaxQueryChars;
            text = text[..cut];
        }

        var terms = new List<string>(4);
        // The analyzer hands out this thread's reusable stream; it must be reset, ended and disposed (even
        // when something throws) or the next use on this thread fails with a contract violation.
        using TokenStream stream = analyzer.GetTokenStream(LexicalSchema.TextField, text);
        ICharTermAttribute term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        // The stream is read to its end even past the cap: ending a stream early is outside Lucene's contract.
        while (stream.IncrementToken())
        {
            if (terms.Count < MaxQueryTerms)
            {
                string value = term.ToString();
                if (!terms.Contains(value))
                {
                    terms.Add(value);
                }
            }
        }

        stream.End();
        return terms;
    }
}
