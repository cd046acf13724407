package dev.parlance.inference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class RowParallelTest {

    @Test
    void rowBlocksOnSeveralThreadsGiveTheProductOfTheWholeMatrix() {
        try (NDManager manager = NDManager.newBaseManager();
                RowParallel parallel = new RowParallel(3, 0)) {
            manager.getEngine().setRandomSeed(5);
            NDArray weight = manager.randomUniform(-1, 1, new Shape(100, 24));
            NDArray bias = manager.randomUniform(-1, 1, new Shape(100));
            NDArray x = manager.randomUniform(-1, 1, new Shape(1, 24));
            RowParallel.Split split = parallel.split(weight, bias);
            assertThat(split.weights()).hasSize(3);
            float[] expected = Ops.linear(x, weight, bias).toFloatArray();
            for (int i = 0; i < 5; i++) {
                assertThat(parallel.linear(x, split).toFloatArray()).containsExactly(expected, within(1e-6f));
            }
        }
    }

    @Test
    void smallMatricesStayWhole() {
        try (NDManager manager = NDManager.newBaseManager();
                RowParallel parallel = new RowParallel(2)) {
            NDArray weight = manager.zeros(new Shape(64, 64));
            assertThat(parallel.split(weight, null).weights()).containsExactly(weight);
        }
    }
}
