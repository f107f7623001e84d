namespace Karma.Core.Package;

/// <summary>Where a <see cref="VectorTable"/>'s numbers live while it is open.</summary>
public enum VectorTableMemory
{
    /// <summary>
    /// The file memory-mapped read-only (the default): nothing is copied, replicas on one host share the page cache,
    /// and pages the kernel evicts come back from disk on the next read.
    /// </summary>
    Mapped = 0,

    /// <summary>A private copy in anonymous memory, read from the file once at open; never evicted to the file.</summary>
    Anonymous = 1,

    /// <summary>
    /// Like <see cref="Anonymous"/>, on 2 MiB-aligned memory advised for transparent huge pages (<c>madvise</c>
    /// MADV_HUGEPAGE), so a full scan walks 512 times fewer page-table entries. Needs transparent huge pages set to
    /// <c>always</c> or <c>madvise</c> (/sys/kernel/mm/transparent_hugepage/enabled); otherwise it behaves as
    /// <see cref="Anonymous"/>.
    /// </summary>
    HugePages = 2,
}
