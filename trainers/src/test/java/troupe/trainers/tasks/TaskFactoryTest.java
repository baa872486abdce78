package troupe.trainers.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import troupe.v1.TaskSpec;

class TaskFactoryTest {

    private static TaskSpec procedural(String kind) {
        return TaskSpec.newBuilder().setKind(kind).setMinDigits(1).setMaxDigits(3).setLabelledSize(100)
                .setEvalSize(50).build();
    }

    @Test
    void buildsEachKind(@TempDir Path dir) throws IOException {
        assertEquals(List.of("addition", "reverse", "sort", "jsonl"), TaskFactory.kinds());
        Task addition = TaskFactory.create(procedural("addition"), 1L);
        assertInstanceOf(AdditionTask.class, addition);
        assertEquals(50, addition.heldOut().size());
        assertEquals(4, addition.maxAnswerLength());
        assertInstanceOf(ReverseTask.class, TaskFactory.create(procedural("reverse"), 1L));
        assertInstanceOf(SortTask.class, TaskFactory.create(procedural("sort"), 1L));
        assertEquals(addition.heldOut(), TaskFactory.create(procedural("addition"), 1L).heldOut());

        Path train = Files.writeString(dir.resolve("t.jsonl"),
                "{\"prompt\":\"a=\",\"answer\":\"1\"}\n{\"prompt\":\"b=\",\"answer\":\"2\"}\n");
        Task jsonl = TaskFactory.create(TaskSpec.newBuilder().setKind("jsonl").setTrainFile(train.toString())
                .build(), 1L);
        assertInstanceOf(JsonlTask.class, jsonl);
        assertEquals(List.of(new Example("b=", "2")), jsonl.heldOut());
    }

    @Test
    void unknownKindListsTheAllowedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TaskFactory.create(TaskSpec.newBuilder().setKind("x").build(), 1L));
        assertEquals("task.kind: unknown \"x\"; allowed: addition, reverse, sort, jsonl", e.getMessage());
    }

    @Test
    void jsonlWithoutTrainFileIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TaskFactory.create(TaskSpec.newBuilder().setKind("jsonl").build(), 1L));
        assertEquals("task.train_file: required for task.kind jsonl", e.getMessage());
    }
}
