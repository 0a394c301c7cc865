namespace Vaani.Bench.Common;

/// <summary>A Markdown table printed with aligned columns, so it reads well in a terminal and pastes into docs.</summary>
internal sealed class Table
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    public Table(params string[] headers) => _headers = headers;

    public void Add(params string[] cells)
    {
        if (cells.Length != _headers.Length)
            throw new ArgumentException($"row has {cells.Length} cells, the table has {_headers.Length} columns", nameof(cells));
        _rows.Add(cells);
    }

    public void Print(TextWriter output)
    {
        var widths = _headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(Line(_headers, widths));
        output.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var row in _rows)
            output.WriteLine(Line(row, widths));
        output.WriteLine();
    }

    private static string Line(string[] cells, int[] widths) =>
        "| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |";
}
