package troupe.trainers.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a file line by line as bytes, keeping each line's byte offset so that it can be read again later by
 * random access. Lines end at '\n'; a trailing '\r' and a UTF-8 byte-order mark at the start of the file are
 * dropped. Only one line is held at a time, and a line longer than the limit is not stored (it is reported as
 * malformed), so any file size works.
 */
final class LineReader implements Closeable {

  private static final int BUFFER_BYTES = 1 << 16;

  private final InputStream in;
  private final String file;
  private final int maxLineBytes;
  private final byte[] buffer = new byte[BUFFER_BYTES];
  private int bufferPos;
  private int bufferEnd;
  private long bufferStart; // file offset of buffer[0]
  private byte[] line = new byte[256];
  private int lineLength;
  private boolean tooLong;
  private long lineNumber;
  private long lineOffset;

  private LineReader(InputStream in, String file, int maxLineBytes) {
    this.in = in;
    this.file = file;
    this.maxLineBytes = maxLineBytes;
  }

  static LineReader open(Path file, int maxLineBytes) throws IOException {
    return new LineReader(Files.newInputStream(file), file.toString(), maxLineBytes);
  }

  /** Moves to the next line; false at the end of the file. */
  boolean next() throws IOException {
    lineLength = 0;
    tooLong = false;
    lineOffset = bufferStart + bufferPos;
    boolean any = false;
    while (true) {
      if (bufferPos == bufferEnd && !fill()) {
        if (!any) {
          return false;
        }
        break; // a last line without '\n'
      }
      any = true;
      int start = bufferPos;
      int end = start;
      while (end < bufferEnd && buffer[end] != '\n') {
        end++;
      }
      append(start, end - start);
      if (end < bufferEnd) {
        bufferPos = end + 1;
        break;
      }
      bufferPos = bufferEnd;
    }
    lineNumber++;
    if (!tooLong && lineLength > 0 && line[lineLength - 1] == '\r') {
      lineLength--;
    }
    if (lineNumber == 1 && !tooLong && hasByteOrderMark(line, lineLength)) {
      System.arraycopy(line, 3, line, 0, lineLength - 3);
      lineLength -= 3;
      lineOffset += 3;
    }
    return true;
  }

  /** The 1-based number of the current line. */
  long lineNumber() {
    return lineNumber;
  }

  /** The byte offset of the current line's first byte (after a byte-order mark). */
  long offset() {
    return lineOffset;
  }

  /** Whether the current line has only spaces, tabs and '\r' (a too-long line is never blank). */
  boolean isBlank() {
    if (tooLong) {
      return false;
    }
    for (int i = 0; i < lineLength; i++) {
      byte b = line[i];
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  /** The current line as text. */
  String text() {
    if (tooLong) {
      throw new MalformedLineException(file, lineNumber, "line is longer than the limit of " + maxLineBytes
          + " bytes");
    }
    return decode(line, lineLength, file, lineNumber);
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  /**
   * The line starting at {@code offset}, read by random access into {@code scratch[0]} (grown as needed and
   * kept for the next call), without its '\n' and trailing '\r'.
   */
  static String readAt(RandomAccessFile in, long offset, int maxLineBytes, byte[][] scratch, String file,
      long lineForMessages) throws IOException {
    in.seek(offset);
    byte[] bytes = scratch[0];
    int length = 0;
    while (true) {
      if (length == bytes.length) {
        if (length > maxLineBytes) {
          throw new MalformedLineException(file, lineForMessages, "line is longer than the limit of "
              + maxLineBytes + " bytes");
        }
        bytes = Arrays.copyOf(bytes, (int) Math.min(2L * bytes.length, maxLineBytes + 1L));
        scratch[0] = bytes;
      }
      // Short first reads: most records are far shorter than the buffer.
      int read = in.read(bytes, length, Math.min(bytes.length - length, Math.max(512, length)));
      if (read < 0) {
        break;
      }
      int end = indexOfNewline(bytes, length, length + read);
      if (end >= 0) {
        length = end;
        break;
      }
      length += read;
    }
    if (length > 0 && bytes[length - 1] == '\r') {
      length--;
    }
    return decode(bytes, length, file, lineForMessages);
  }

  private static int indexOfNewline(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static boolean hasByteOrderMark(byte[] bytes, int length) {
    return length >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF;
  }

  private static String decode(byte[] bytes, int length, String file, long lineNumber) {
    try {
      // Strict decoding: a replacement character would silently change the training text.
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, length))
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedLineException(file, lineNumber, "not valid UTF-8");
    }
  }

  private boolean fill() throws IOException {
    bufferStart += bufferEnd;
    bufferPos = 0;
    bufferEnd = 0;
    int read;
    do {
      read = in.read(buffer);
    } while (read == 0);
    if (read < 0) {
      return false;
    }
    bufferEnd = read;
    return true;
  }

  private void append(int start, int length) {
    if (tooLong || length == 0) {
      return;
    }
    if ((long) lineLength + length > maxLineBytes) {
      tooLong = true; // keep scanning for the line's end, but store nothing more
      lineLength = 0;
      return;
    }
    if (lineLength + length > line.length) {
      line = Arrays.copyOf(line, (int) Math.min(Math.max(2L * line.length, lineLength + length),
          maxLineBytes + 1L));
    }
    System.arraycopy(buffer, start, line, lineLength, length);
    lineLength += length;
  }
}
