using Lucene.Net.Codecs;
using Lucene.Net.Index;
using Lucene.Net.Store;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Karma.Search.Lexical;

public sealed partial class LexicalIndex
{
    /// <summary>Rows checked for "document id = row" when opening, besides the first and the last.</summary>
    private const int SpotChecks = 64;

    /// <summary>
    /// Refuses to load more than this into memory: about 300 times the index of a 1M-item catalog, so only a
    /// wrong directory (or a runaway file in it) gets here, and it fails clearly instead of exhausting memory.
    /// </summary>
    private const long MaxLoadBytes = 4L << 30;

    /// <summary>
    /// Opens an index written by <see cref="Build(string, IEnumerable{LexicalDocument}, IProgress{string}?)"/>, read-only, after checking it: every file's checksum,
    /// exactly <paramref name="expectedRows"/> documents in one segment without deletions, the text field with
    /// norms, and document ids equal to rows (first, last and evenly spaced rows between).
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The directory is missing, empty, not an index, corrupt or truncated, or holds the wrong number of
    /// documents; the message names the directory and the problem.
    /// </exception>
    public static LexicalIndex Open(string directory, int expectedRows)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedRows);
        string path = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(path))
        {
            throw Invalid(path, "the directory does not exist");
        }

        LuceneDirectory? files = null;
        try
        {
            files = Load(path);
            VerifyChecksums(path, files);
            return FromDirectory(path, files, expectedRows, everyRow: false);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            files?.Dispose();
            // Lucene reports damage in many shapes (CorruptIndexException, IndexNotFoundException, EndOfStreamException,
            // IndexOutOfRangeException, ...); callers get one.
            throw Invalid(path, $"{e.GetType().Name}: {e.Message}", e);
        }
        catch
        {
            files?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an index whose files are already in <paramref name="files"/> (a package's single-file container loaded
    /// into memory: <see cref="LexicalIndexFile"/>), with the same checks as <see cref="Open(string, int)"/>; takes
    /// ownership of <paramref name="files"/> on success.
    /// </summary>
    internal static LexicalIndex Open(string source, LuceneDirectory files, int expectedRows)
    {
        VerifyChecksums(source, files);
        return FromDirectory(source, files, expectedRows, everyRow: false);
    }

    /// <summary>
    /// Copies the index files into memory. An index is small (about 14 bytes per item: 13.5 MB for 1M items
    /// of catalog titles), and searching from memory measured faster than memory-mapping (10k items, 2-term
    /// query: 15–20 µs against 25–35 µs; equal at 1M) because Lucene.NET's mapped inputs are costly to clone,
    /// which every search does per term. It also means the process never touches the files again: replacing
    /// or truncating them later cannot fault a mapped page.
    /// </summary>
    private static RAMDirectory Load(string path)
    {
        long bytes = new DirectoryInfo(path).EnumerateFiles().Sum(f => f.Length);
        if (bytes > MaxLoadBytes)
        {
            throw Invalid(path, $"{bytes:N0} bytes of files, more than the {MaxLoadBytes:N0} an index is loaded with (not an index directory?)");
        }

        // Read-only: no lock is taken (a package directory may be read-only), and nothing is ever written.
        using var disk = new NIOFSDirectory(new DirectoryInfo(path), NoLockFactory.GetNoLockFactory());
        return new RAMDirectory(disk, IOContext.READ_ONCE);
    }

    /// <summary>
    /// The files an index consists of (plain names, sorted), for package manifests: the commit point and the
    /// files of its segment.
    /// </summary>
    /// <exception cref="InvalidDataException">The directory holds no readable index.</exception>
    public static IReadOnlyList<string> Files(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string path = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(path))
        {
            throw Invalid(path, "the directory does not exist");
        }

        try
        {
            using var files = new NIOFSDirectory(new DirectoryInfo(path), NoLockFactory.GetNoLockFactory());
            var commit = new SegmentInfos();
            commit.Read(files);
            var names = new SortedSet<string>(commit.GetFiles(files, includeSegmentsFile: true), StringComparer.Ordinal);
            // segments.gen is only a hint for finding the newest commit, but Lucene reads it when present.
            if (File.Exists(Path.Combine(path, IndexFileNames.SEGMENTS_GEN)))
            {
                names.Add(IndexFileNames.SEGMENTS_GEN);
            }

            return [.. names];
        }
        catch (Exception e)
        {
            throw Invalid(path, $"{e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads every file to its end and checks its checksum footer before Lucene parses anything, so a damaged
    /// file is reported as such instead of surfacing as an odd failure (or a huge allocation) halfway
    /// through reading structures out of it. Lucene 4.8 writes a CRC-32 footer on every file, and the compound
    /// file's footer covers all the segment's data.
    /// </summary>
    private static void VerifyChecksums(string path, LuceneDirectory files)
    {
        string[] names = files.ListAll();
        if (names.Length == 0)
        {
            throw Invalid(path, "the directory is empty (no index was built here)");
        }

        foreach (string name in names)
        {
            if (name == IndexWriter.WRITE_LOCK_NAME)
            {
                continue;
            }

            try
            {
                using IndexInput input = files.OpenInput(name, IOContext.READ_ONCE);
                CodecUtil.ChecksumEntireFile(input);
            }
            catch (Exception e)
            {
                throw Invalid(path, $"{name} is damaged or not an index file ({e.GetType().Name}: {e.Message})", e);
            }
        }
    }

    /// <summary>
    /// Opens a reader on <paramref name="files"/> and checks the index's shape; takes ownership of
    /// <paramref name="files"/> on success.
    /// </summary>
    /// <param name="source">Where the index came from (its directory or file, or "memory"): named in errors, kept as <see cref="Source"/>.</param>
    /// <param name="files">The index's files.</param>
    /// <param name="expectedRows">Null when building in memory (the count is whatever was written).</param>
    /// <param name="everyRow">Check "document id = row" for every document, not only a sample.</param>
    private static LexicalIndex FromDirectory(string source, LuceneDirectory files, int? expectedRows, bool everyRow)
    {
        DirectoryReader reader = DirectoryReader.Open(files);
        try
        {
            CheckShape(source, reader, expectedRows, everyRow);
            return new LexicalIndex(source, files, reader, LexicalSchema.CreateAnalyzer());
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private static void CheckShape(string source, DirectoryReader reader, int? expectedRows, bool everyRow)
    {
        if (expectedRows is { } rows && reader.MaxDoc != rows)
        {
            throw Invalid(source, $"holds {reader.MaxDoc:N0} documents, the item table has {rows:N0} rows");
        }

        if (reader.HasDeletions)
        {
            throw Invalid(source, $"has {reader.NumDeletedDocs:N0} deleted documents (an index is written once, without deletions)");
        }

        if (reader.MaxDoc == 0)
        {
            return; // an empty catalog: a commit without segments
        }

        if (reader.Leaves.Count != 1)
        {
            throw Invalid(source, $"has {reader.Leaves.Count} segments, expected one (force-merged)");
        }

        AtomicReader leaf = reader.Leaves[0].AtomicReader;
        FieldInfo? text = leaf.FieldInfos.FieldInfo(LexicalSchema.TextField);
        if (text is null || !text.IsIndexed || !text.HasNorms)
        {
            throw Invalid(source, $"has no indexed field '{LexicalSchema.TextField}' with norms");
        }

        NumericDocValues? row = leaf.GetNumericDocValues(LexicalSchema.RowField);
        if (row is null)
        {
            throw Invalid(source, $"has no '{LexicalSchema.RowField}' doc values");
        }

        // Document ids are rows when documents were added in row order and merging kept the order. A freshly
        // written index is checked completely; opening checks the ends and evenly spaced rows, which catches a
        // reordering at a cost independent of the catalog's size.
        int last = leaf.MaxDoc - 1;
        int checks = everyRow ? last : Math.Min(last, SpotChecks + 1);
        for (int i = 0; i <= checks; i++)
        {
            int doc = checks == 0 ? 0 : (int)((long)last * i / checks);
            long stored = row.Get(doc);
            if (stored != doc)
            {
                throw Invalid(source, $"document {doc} holds row {stored}; document ids must be item table rows");
            }
        }
    }

    private static InvalidDataException Invalid(string source, string problem, Exception? inner = null) =>
        new($"lexical index {source}: {problem}", inner);
}
