using System.Text;

namespace Karma.Search.Lexical;

/// <summary>One catalog item's searchable text; document i of an index is row i of the item table.</summary>
/// <param name="Title">Title text.</param>
/// <param name="Description">Optional longer text.</param>
/// <param name="Category">Category path such as <c>footwear/athletic/running-shoe</c>.</param>
/// <param name="Brand">Optional brand.</param>
public sealed record LexicalDocument(string Title, string? Description, string Category, string? Brand)
{
    /// <summary>The document of a catalog item (its id and numbers are not searchable text).</summary>
    public static LexicalDocument From(Karma.Core.Data.Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new LexicalDocument(item.Title, item.Description, item.Category, item.Brand);
    }

    /// <summary>
    /// The text of the one indexed field: title, category words, brand, description. The category's
    /// separators become spaces because the tokenizer keeps <c>_</c> inside words and the path's parts
    /// are meant to be searchable one by one ("running-shoe" gives "running" and "shoe").
    /// </summary>
    internal string SearchText()
    {
        var text = new StringBuilder((Title?.Length ?? 0) + (Category?.Length ?? 0) + (Brand?.Length ?? 0)
            + (Description?.Length ?? 0) + 3);
        text.Append(Title).Append(' ');
        foreach (char c in Category ?? "")
        {
            text.Append(c is '/' or '-' or '_' ? ' ' : c);
        }

        text.Append(' ').Append(Brand).Append(' ').Append(Description);
        return text.ToString();
    }
}
