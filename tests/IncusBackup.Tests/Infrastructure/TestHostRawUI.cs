using System.Management.Automation.Host;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// A fixed-size, screen-less raw UI. Wide buffer so that any formatting done through the host does not wrap.
/// Reading keys is input like any other prompt: it is recorded and fails the test (it cannot be scripted).
/// </summary>
public sealed class TestHostRawUI(TestHostUI ui) : PSHostRawUserInterface
{
    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

    public override Size BufferSize { get; set; } = new(200, 3000);

    public override Coordinates CursorPosition { get; set; }

    public override int CursorSize { get; set; } = 25;

    public override bool KeyAvailable => false;

    public override Size MaxPhysicalWindowSize => new(200, 50);

    public override Size MaxWindowSize => new(200, 50);

    public override Coordinates WindowPosition { get; set; }

    public override Size WindowSize { get; set; } = new(200, 50);

    public override string WindowTitle { get; set; } = "IncusBackup tests";

    public override KeyInfo ReadKey(ReadKeyOptions options) => throw ui.RecordUnscripted(
        new HostPrompt(HostPromptKind.ReadKey, string.Empty, string.Empty, [], -1));

    public override void FlushInputBuffer()
    {
    }

    public override BufferCell[,] GetBufferContents(Rectangle rectangle) =>
        new BufferCell[Math.Max(0, rectangle.Bottom - rectangle.Top + 1), Math.Max(0, rectangle.Right - rectangle.Left + 1)];

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill)
    {
    }

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents)
    {
    }

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill)
    {
    }
}
