using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Store;

namespace Karma.Search.Lexical;

/// <summary>
/// Documents added to a package's lexical index while it serves (items added to a live catalog): a small in-memory
/// Lucene index whose document i is row <c>main.Count + i</c>, searched together with the main index as one
/// (<see cref="Append"/> returns the combined view). The main index is never written. One writer (calls to
/// <see cref="Append"/> are serialized); the views it returns are safe to search from many threads.
/// </summary>
/// <remarks>
/// A view owns nothing that needs closing: the appended documents live in memory, and a view left behind by a later
/// <see cref="Append"/> is collected with its last user. Removing an item is the caller's filter's job (a removed
/// row's document stays, so rows and document ids never diverge).
/// </remarks>
public sealed class LexicalAppendix : IDisposable
{
    private readonly LexicalIndex _main;
    private readonly RAMDirectory _files = new();
    private readonly IndexWriter _writer;
    private readonly System.Threading.Lock _lock = new();
    private readonly Field _text = new(LexicalSchema.TextField, "", LexicalSchema.TextType);
    private readonly NumericDocValuesField _row = new(LexicalSchema.RowField, 0L);
    private int _count;
    private bool _broken;

    /// <summary>An empty appendix to <paramref name="main"/>.</summary>
    public LexicalAppendix(LexicalIndex main)
    {
        ArgumentNullException.ThrowIfNull(main);
        _main = main;
        _writer = new IndexWriter(_files, new IndexWriterConfig(LexicalSchema.Version, LexicalSchema.CreateAnalyzer())
        {
            OpenMode = OpenMode.CREATE,
            Similarity = LexicalSchema.CreateSimilarity(),
            // Adjacent segments only, so document order (= row order) survives merging (see Build).
            MergePolicy = new LogDocMergePolicy(),
            MergeScheduler = new SerialMergeScheduler(),
        });
    }

    /// <summary>Documents appended so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Appends documents (rows <c>main.Count + Count</c> on) and returns the main index with every appended document.</summary>
    public LexicalIndex Append(IReadOnlyList<LexicalDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        lock (_lock)
        {
            // A failed append leaves the writer rolled back (closed) and rows possibly out of step with documents.
            ObjectDisposedException.ThrowIf(_broken, this);
            var document = new Document { _text, _row };
            try
            {
                for (int i = 0; i < documents.Count; i++)
                {
                    _text.SetStringValue(documents[i].SearchText());
                    _row.SetInt64Value(_main.Count + _count + i);
                    _writer.AddDocument(document);
                }

                _writer.Commit();
            }
            catch
            {
                _broken = true;
                _writer.Rollback();
                throw;
            }

            var appended = DirectoryReader.Open(_files);
            if (appended.MaxDoc != _count + documents.Count || appended.HasDeletions)
            {
                throw new InvalidOperationException(
                    $"lexical appendix holds {appended.MaxDoc} documents ({appended.NumDeletedDocs} deleted) after adding {documents.Count} to {_count}");
            }

            Volatile.Write(ref _count, appended.MaxDoc);
            return LexicalIndex.Appended(_main, appended);
        }
    }

    /// <summary>Closes the writer and drops the appended documents.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _broken = true;
            _writer.Dispose();
            _files.Dispose();
        }
    }
}
