namespace Karma.Search.Lexical;

/// <summary>A matched item: its row in the item table and its BM25 score.</summary>
/// <param name="Row">Item table row (= Lucene document id).</param>
/// <param name="Score">BM25 score, the sum over the query's distinct terms.</param>
public readonly record struct LexicalHit(int Row, float Score);
