using Lucene.Net.Analysis;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Store;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Karma.Search.Lexical;

public sealed partial class LexicalIndex
{
    /// <summary>
    /// Writes an index of <paramref name="documents"/> (document i = item table row i) into
    /// <paramref name="directory"/>: one segment in a compound file, BM25 norms, no deletions.
    /// </summary>
    /// <remarks>
    /// The index is written into a temporary sibling directory and renamed into place only when complete, so a
    /// failure (or a crash) never leaves a half-written index under <paramref name="directory"/>.
    /// </remarks>
    /// <param name="directory">Created; must be missing or empty.</param>
    /// <param name="documents">The catalog's documents in row order; enumerated once.</param>
    /// <param name="progress">Told about every ~10% of the documents (every 100,000 when the count is not
    /// known up front), the merge, and the end.</param>
    /// <exception cref="IOException"><paramref name="directory"/> is a file or a non-empty directory.</exception>
    public static void Build(string directory, IEnumerable<LexicalDocument> documents, IProgress<string>? progress = null) =>
        Build(directory, documents, progress, flushEvery: null);

    /// <param name="directory">Created; must be missing or empty.</param>
    /// <param name="documents">The documents in row order.</param>
    /// <param name="progress">Progress messages.</param>
    /// <param name="flushEvery">Tests: write a segment every this many documents, so that the final merge has
    /// many segments to put together (in order, into a compound file).</param>
    internal static void Build(string directory, IEnumerable<LexicalDocument> documents, IProgress<string>? progress, int? flushEvery)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(documents);
        string target = Path.GetFullPath(directory);
        if (File.Exists(target))
        {
            throw new IOException($"lexical index {target}: a file of that name exists; an index is a directory");
        }

        if (System.IO.Directory.Exists(target) && System.IO.Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new IOException($"lexical index {target}: the directory is not empty; an index is only built into a missing or empty directory");
        }

        string parent = Path.GetDirectoryName(target) ?? throw new IOException($"lexical index {target}: no parent directory");
        System.IO.Directory.CreateDirectory(parent);
        // A sibling, so the final rename stays on one file system (atomic); hidden and unique per build.
        string temporary = Path.Combine(parent, $".{Path.GetFileName(target)}.building-{Guid.NewGuid():N}");
        try
        {
            int count;
            using (var fs = FSDirectory.Open(new DirectoryInfo(temporary)))
            {
                count = Write(fs, documents, progress, flushEvery);
            }

            // Lucene's native lock file stays behind after the writer is closed; it is not part of the index.
            File.Delete(Path.Combine(temporary, IndexWriter.WRITE_LOCK_NAME));
            Verify(temporary, count);
            if (System.IO.Directory.Exists(target))
            {
                System.IO.Directory.Delete(target, recursive: false); // fails if files appeared meanwhile
            }

            System.IO.Directory.Move(temporary, target);
            progress?.Report($"lexical index: {count:N0} documents written to {target}");
        }
        catch
        {
            try
            {
                System.IO.Directory.Delete(temporary, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the original error is the one worth reporting.
            }
            catch (UnauthorizedAccessException)
            {
                // As above.
            }

            throw;
        }
    }

    /// <summary>Reads the written index back the way <see cref="Open(string, int)"/> does, checking every row, before it is renamed into place.</summary>
    private static void Verify(string temporary, int count)
    {
        using RAMDirectory files = Load(temporary);
        VerifyChecksums(temporary, files);
        using DirectoryReader reader = DirectoryReader.Open(files);
        CheckShape(temporary, reader, count, everyRow: true);
    }

    /// <summary>An index of <paramref name="documents"/> held in memory (tests, offline evaluation).</summary>
    public static LexicalIndex InMemory(IEnumerable<LexicalDocument> documents) => InMemory(documents, flushEvery: null);

    /// <param name="documents">The documents in row order.</param>
    /// <param name="flushEvery">As for <see cref="Build(string, IEnumerable{LexicalDocument}, IProgress{string}?, int?)"/>.</param>
    internal static LexicalIndex InMemory(IEnumerable<LexicalDocument> documents, int? flushEvery)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var ram = new RAMDirectory();
        try
        {
            Write(ram, documents, progress: null, flushEvery);
            return FromDirectory("memory", ram, expectedRows: null, everyRow: true);
        }
        catch
        {
            ram.Dispose();
            throw;
        }
    }

    /// <summary>Indexes the documents into <paramref name="directory"/> and commits; returns the document count.</summary>
    private static int Write(LuceneDirectory directory, IEnumerable<LexicalDocument> documents, IProgress<string>? progress,
        int? flushEvery)
    {
        using Analyzer analyzer = LexicalSchema.CreateAnalyzer();
        var config = new IndexWriterConfig(LexicalSchema.Version, analyzer)
        {
            OpenMode = OpenMode.CREATE,
            Similarity = LexicalSchema.CreateSimilarity(),
            UseCompoundFile = true,
            RAMBufferSizeMB = 64,
            // Log merge policies merge adjacent segments only, so document order (= row order) survives merging;
            // the default tiered policy may merge any segments and reorder documents. NoCFSRatio = 1 keeps the
            // merged segment in a compound file too (the default 0.1 writes loose files for a segment larger than
            // a tenth of the index, which the single force-merged segment always is).
            MergePolicy = new LogByteSizeMergePolicy { NoCFSRatio = 1.0 },
            // Merges run on this thread: the build is a batch job and the final force-merge waits anyway.
            MergeScheduler = new SerialMergeScheduler(),
        };
        if (flushEvery is { } docs)
        {
            config.MaxBufferedDocs = docs;
        }

        using var writer = new IndexWriter(directory, config);
        try
        {
            int count = AddAll(writer, documents, progress);
            progress?.Report("lexical index: merging into one segment");
            writer.ForceMerge(1);
            writer.Commit();
            writer.Dispose();
            return count;
        }
        catch
        {
            writer.Rollback(); // closing would commit what was added so far
            throw;
        }
    }

    private static int AddAll(IndexWriter writer, IEnumerable<LexicalDocument> documents, IProgress<string>? progress)
    {
        int? total = documents.TryGetNonEnumeratedCount(out int n) ? n : null;
        long step = total is { } t ? Math.Max(1, (t + 9) / 10) : 100_000;
        // One document and its fields are reused for every item, as Lucene recommends for bulk indexing.
        var text = new Field(LexicalSchema.TextField, "", LexicalSchema.TextType);
        var row = new NumericDocValuesField(LexicalSchema.RowField, 0L);
        var document = new Document { text, row };
        int count = 0;
        foreach (LexicalDocument item in documents)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(documents));
            if (count == int.MaxValue - 1)
            {
                throw new ArgumentException("too many documents for one index", nameof(documents));
            }

            text.SetStringValue(item.SearchText());
            row.SetInt64Value(count);
            writer.AddDocument(document);
            count++;
            if (progress is not null && count % step == 0)
            {
                progress.Report(total is { } all
                    ? $"lexical index: {count:N0} of {all:N0} documents ({100L * count / Math.Max(1, all)}%)"
                    : $"lexical index: {count:N0} documents");
            }
        }

        return count;
    }
}
